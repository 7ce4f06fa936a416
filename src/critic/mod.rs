//! Uncertainty-aware critic (under construction).
