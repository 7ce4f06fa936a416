//! Experiment ids are the sequence numbers of their `experiment_started` events, so an
//! imported experiment gets a new id in the target store, and every reference to it moves
//! with it. This is the only change an import makes to an event.

use std::collections::BTreeMap;

use crate::store::Event;

/// Rewrites every experiment reference of `event` through `map` (source id -> target id).
/// A reference to an experiment not in the map is an error (the package is not
/// self-contained), returned as the missing source id.
pub fn remap_experiments(mut event: Event, map: &BTreeMap<u64, u64>) -> Result<Event, u64> {
    let m = |id: &mut u64| -> Result<(), u64> {
        *id = *map.get(id).ok_or(*id)?;
        Ok(())
    };
    match &mut event {
        Event::TaskRegistered(_) | Event::Imported(_) => {}
        Event::ExperimentStarted(s) => {
            if let Some(r) = s.resumes.as_mut() {
                m(r)?;
            }
        }
        Event::ArchSampled(e) => m(&mut e.experiment)?,
        Event::RewardObserved(e) => m(&mut e.experiment)?,
        Event::PolicyUpdated(e) => {
            m(&mut e.experiment)?;
            for r in &mut e.replayed {
                m(&mut r.experiment)?;
            }
        }
        Event::ExperimentEnded(e) => m(&mut e.experiment)?,
        Event::CriticUpdated(e) => m(&mut e.experiment)?,
        Event::BlockCheckpointed(e) => m(&mut e.experiment)?,
    }
    Ok(event)
}
