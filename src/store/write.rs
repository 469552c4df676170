//! Write transactions. SQLite has one writer at a time: a transaction that finds the write lock
//! taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries, so a few
//! concurrent writers in one process turned a 2 ms request into a 50 ms one. Writers of this
//! process therefore queue on an async gate first (in order, without sleeping) and meet SQLite's
//! lock only when another process writes too. PostgreSQL has row locks and needs no gate.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A write transaction (see [`super::Store::begin_write`]); dropped without [`WriteTx::commit`],
/// it rolls back. Derefs to the connection, for queries.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    // Released after the transaction ends (fields drop in order).
    _gate: Option<OwnedMutexGuard<()>>,
}

/// The gate writers of one SQLite database queue on (shared by the store's clones).
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

impl WriteGate {
    /// Waits for this process's turn to write.
    pub(crate) async fn enter(&self) -> OwnedMutexGuard<()> {
        self.0.clone().lock_owned().await
    }
}

impl WriteTx {
    pub(super) fn new(tx: Transaction<'static, Any>, gate: Option<OwnedMutexGuard<()>>) -> Self {
        Self { tx, _gate: gate }
    }

    /// Commits.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back.
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
