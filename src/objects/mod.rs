//! What reads and writes objects: `put` (check, then write under a content
//! hash), and the lookups behind `show` and `ls`. The layout they follow is
//! [`crate::store`].

pub mod lookup;
pub mod put;
