//! Range checks for config fields, each naming the field at fault.
//!
//! Why shared: the controller's and the critic's configs carry the same kinds of settings
//! (widths, learning rate, epochs, Adam's betas and epsilon, under the same field names) and
//! must reject them with the same wording. Each check returns [`NnError::Field`], which the
//! caller's error enum turns into its own `Config` variant.

use super::error::NnError;

fn bad(field: &'static str, reason: String) -> Result<(), NnError> {
    Err(NnError::Field { field, reason })
}

/// `value` must be finite and > 0 (learning rates, scales, epsilons).
pub fn positive(field: &'static str, value: f64) -> Result<(), NnError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        bad(field, format!("{value} must be finite and > 0"))
    }
}

/// `value` must be finite and >= 0 (coefficients where 0 switches a term off).
pub fn non_negative(field: &'static str, value: f64) -> Result<(), NnError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        bad(field, format!("{value} must be finite and >= 0"))
    }
}

/// `value` must be in `1..=max` (sizes; the cap keeps a corrupt checkpoint header from
/// requesting a huge allocation).
pub fn count(field: &'static str, value: usize, max: usize) -> Result<(), NnError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        bad(field, format!("{value} is not in 1..={max}"))
    }
}

/// `value` must be at least 1 (epochs and other repetition counts).
pub fn at_least_one(field: &'static str, value: usize) -> Result<(), NnError> {
    if value >= 1 {
        Ok(())
    } else {
        bad(field, "must be at least 1".to_string())
    }
}

/// Adam's moment decays in [0, 1) and a finite epsilon > 0, under the field names both configs
/// use (`adam_beta1`, `adam_beta2`, `adam_eps`). A beta of 1 would divide by zero in the
/// bias correction.
pub fn adam_moments(beta1: f64, beta2: f64, eps: f64) -> Result<(), NnError> {
    for (field, beta) in [("adam_beta1", beta1), ("adam_beta2", beta2)] {
        if !(0.0..1.0).contains(&beta) {
            return bad(field, format!("{beta} is not in [0, 1)"));
        }
    }
    positive("adam_eps", eps)
}

/// AdamW's decoupled weight decay (field `weight_decay`): finite, >= 0, and with
/// `lr * weight_decay < 1` because each step multiplies the weights by `1 - lr*wd`.
pub fn weight_decay(lr: f64, weight_decay: f64) -> Result<(), NnError> {
    non_negative("weight_decay", weight_decay)?;
    if lr * weight_decay >= 1.0 {
        return bad(
            "weight_decay",
            format!(
                "lr * weight_decay = {} must be < 1 (each step multiplies weights by 1 - lr*wd)",
                lr * weight_decay
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<(), NnError>) -> &'static str {
        match r {
            Err(NnError::Field { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn checks_name_the_field_at_fault() {
        assert!(positive("lr", 1e-3).is_ok());
        assert_eq!(field(positive("lr", f64::INFINITY)), "lr");
        assert_eq!(field(non_negative("c", -0.0 - 1e-9)), "c");
        assert!(non_negative("c", 0.0).is_ok());
        assert!(count("hidden", 8, 8).is_ok());
        assert_eq!(field(count("hidden", 9, 8)), "hidden");
        assert_eq!(field(at_least_one("epochs", 0)), "epochs");
        assert!(adam_moments(0.0, 0.999, 1e-8).is_ok());
        assert_eq!(field(adam_moments(0.9, 1.0, 1e-8)), "adam_beta2");
        assert_eq!(field(adam_moments(0.9, 0.999, 0.0)), "adam_eps");
        assert!(weight_decay(1e-3, 0.0).is_ok());
        assert_eq!(field(weight_decay(0.5, 2.0)), "weight_decay");
    }
}
