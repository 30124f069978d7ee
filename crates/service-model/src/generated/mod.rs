//! Tables written by `scripts/gen-service-model.py`.

pub(crate) mod cloudtrail;
pub(crate) mod iam;
pub(crate) mod ops;
pub(crate) mod sts;
