//! The study folder's on-disk format: the ledger's file name and format
//! version, shared by the ledger, its errors and the study.

/// The ledger format this library reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The ledger's file name inside a study folder.
pub const LEDGER_FILE: &str = "ledger.json";
