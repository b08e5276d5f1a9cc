//! Group commit on SQLite (issue 27). SQLite has one writer at a time, so writers take turns (FIFO)
//! on one connection; instead of a transaction each, the writers that queue up share one: each
//! works in a savepoint of its own, and the transaction commits once for the group — when nobody
//! else is waiting for a turn, or when [`MAX_MEMBERS`] have written. A writer's `commit` returns
//! only after that commit, so every answer still follows a durable write; a writer that fails, or
//! is dropped, is rolled back to its savepoint and takes nobody else's work with it.
//!
//! What the group saves is each writer's `BEGIN` and `COMMIT` (round trips to sqlx's worker thread)
//! and the WAL frames every commit writes: pages that many logins touch (the sessions index, the
//! audit log's tail) are written once per group instead of once per login.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::StoreError;
use super::session_cache::SessionCache;

/// At most this many writers share one commit: it bounds how long the first of them waits.
const MAX_MEMBERS: usize = 32;

/// How a group ended, for the members waiting on it: committed, or why not.
type Outcome = Option<Result<(), Arc<str>>>;

/// The writers' queue and the transaction they share.
#[derive(Clone)]
pub(super) struct GroupCommit {
    open: Arc<Mutex<Option<Group>>>,
    /// Writers waiting for their turn: a writer that finds none commits the group at once.
    waiting: Arc<AtomicUsize>,
    session_cache: Arc<SessionCache>,
}

impl fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupCommit")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The shared transaction.
struct Group {
    tx: sqlx::Transaction<'static, Any>,
    /// Savepoints taken so far (named `m1`, `m2`, …). The writer that opened the group takes none:
    /// if it fails, the group holds nothing else and is rolled back whole.
    savepoints: usize,
    /// Writers whose work is in the transaction and who wait for its commit.
    written: usize,
    /// A writer dropped without committing: its work is undone before anything else runs.
    undo: Option<Undo>,
    /// A writer wrote something cached signed-in reads depend on.
    invalidates: bool,
    outcome: watch::Sender<Outcome>,
}

#[derive(Clone, Copy)]
enum Undo {
    Whole,
    ToSavepoint(usize),
}

/// One writer's turn on the shared transaction (inside a `Tx`): committed with [`Self::commit`],
/// undone when dropped.
pub(super) struct Member {
    turn: Turn,
    savepoint: Option<usize>,
}

/// The turn: given back when dropped, wherever a writer stops (even cancelled halfway through
/// taking it), so an open group is never left without a writer to commit it.
struct Turn {
    /// `None` once given back.
    guard: Option<OwnedMutexGuard<Option<Group>>>,
    queue: GroupCommit,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            self.queue.give_back(guard);
        }
    }
}

impl GroupCommit {
    pub(super) fn new(session_cache: Arc<SessionCache>) -> Self {
        Self {
            open: Arc::new(Mutex::new(None)),
            waiting: Arc::new(AtomicUsize::new(0)),
            session_cache,
        }
    }

    /// Waits for the turn, then joins the open group — or opens one with the transaction `begin`
    /// yields (one that holds SQLite's write lock).
    pub(super) async fn join(
        &self,
        begin: impl Future<Output = Result<sqlx::Transaction<'static, Any>, StoreError>>,
    ) -> Result<Member, StoreError> {
        let mut turn = {
            let waiting = Waiting::enter(self);
            let guard = Arc::clone(&self.open).lock_owned().await;
            waiting.served();
            Turn {
                guard: Some(guard),
                queue: self.clone(),
            }
        };
        let savepoint = match turn.guard.as_mut() {
            Some(guard) => self.take_turn(guard, begin).await?,
            None => None,
        };
        Ok(Member { turn, savepoint })
    }

    async fn take_turn(
        &self,
        turn: &mut Option<Group>,
        begin: impl Future<Output = Result<sqlx::Transaction<'static, Any>, StoreError>>,
    ) -> Result<Option<usize>, StoreError> {
        // An undo that fails ends the group (its members are told why); this writer, who had no
        // part in it, opens the next one.
        let _ = self.undo(turn).await;
        let Some(group) = turn.as_mut() else {
            *turn = Some(Group::new(begin.await?));
            return Ok(None);
        };
        let savepoint = group.savepoints + 1;
        let taken = group
            .tx
            .execute(AssertSqlSafe(format!("SAVEPOINT m{savepoint}")))
            .await;
        if let Err(error) = taken {
            let error = StoreError::from(error);
            self.fail(turn, &error).await;
            return Err(error);
        }
        group.savepoints = savepoint;
        Ok(Some(savepoint))
    }

    /// Undoes a dropped writer's work, if any: the whole (then empty) group, or back to its
    /// savepoint. The undo is forgotten only once done, so one interrupted is done again. Failing,
    /// the transaction is in an unknown state: the group ends without committing.
    async fn undo(&self, turn: &mut Option<Group>) -> Result<(), StoreError> {
        let Some(group) = turn.as_mut() else {
            return Ok(());
        };
        let undone = match group.undo {
            None => return Ok(()),
            Some(Undo::Whole) => {
                // Only the writer that opened the group was in it: nobody waits for it.
                if let Some(group) = turn.take() {
                    group.tx.rollback().await?;
                }
                return Ok(());
            }
            Some(Undo::ToSavepoint(n)) => {
                group
                    .tx
                    .execute(AssertSqlSafe(format!("ROLLBACK TO m{n}")))
                    .await
            }
        };
        match undone {
            Ok(_) => {
                group.undo = None;
                Ok(())
            }
            Err(error) => {
                let error = StoreError::from(error);
                self.fail(turn, &error).await;
                Err(error)
            }
        }
    }

    /// Commits the open group (first undoing a dropped writer's work), makes cached reads stale
    /// when a member wrote what they depend on, and tells the members.
    async fn commit_group(&self, turn: &mut Option<Group>) -> Result<(), StoreError> {
        self.undo(turn).await?;
        let Some(group) = turn.take() else {
            return Ok(());
        };
        let Group {
            tx,
            written,
            invalidates,
            outcome,
            ..
        } = group;
        let committed = if written == 0 {
            tx.rollback().await
        } else {
            tx.commit().await
        }
        .map_err(StoreError::from);
        self.tell(invalidates, &outcome, committed.as_ref().map(|_| ()));
        committed
    }

    /// Ends the group without committing, telling its members why.
    async fn fail(&self, turn: &mut Option<Group>, error: &StoreError) {
        let Some(group) = turn.take() else {
            return;
        };
        // Failing, the transaction is dropped, which rolls it back all the same.
        let _ = group.tx.rollback().await;
        self.tell(group.invalidates, &group.outcome, Err(error));
    }

    /// Tells a group's members how it ended, once cached reads a member's write made stale are
    /// unusable.
    fn tell(
        &self,
        invalidates: bool,
        outcome: &watch::Sender<Outcome>,
        ended: Result<(), &StoreError>,
    ) {
        if invalidates {
            self.session_cache.invalidate();
        }
        outcome.send_replace(Some(ended.map_err(|error| Arc::from(error.to_string()))));
    }

    /// Gives the turn back. With nobody waiting for it, an open group would have no writer left to
    /// commit it: a task does.
    fn give_back(&self, turn: OwnedMutexGuard<Option<Group>>) {
        let open = turn.is_some();
        drop(turn);
        if open && self.waiting.load(Ordering::SeqCst) == 0 {
            self.commit_soon();
        }
    }

    /// Commits whatever group is open, from a task of its own (for a turn given back or a wait
    /// abandoned, where nothing can be awaited).
    fn commit_soon(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let queue = self.clone();
        runtime.spawn(async move {
            let mut turn = Arc::clone(&queue.open).lock_owned().await;
            if let Err(error) = queue.commit_group(&mut turn).await {
                tracing::error!(%error, "group commit failed");
            }
        });
    }
}

impl Group {
    fn new(tx: sqlx::Transaction<'static, Any>) -> Self {
        Self {
            tx,
            savepoints: 0,
            written: 0,
            undo: None,
            invalidates: false,
            outcome: watch::Sender::new(None),
        }
    }
}

impl Member {
    /// This writer's work is done: it joins the group's commit, and returns once the group has
    /// committed (or failed). `invalidates`: whether cached signed-in reads may now be stale.
    pub(super) async fn commit(mut self, invalidates: bool) -> Result<(), StoreError> {
        let queue = self.turn.queue.clone();
        let Some(mut guard) = self.turn.guard.take() else {
            return Err(StoreError::Unavailable("the write's turn was lost".into()));
        };
        let Some(group) = guard.as_mut() else {
            return Err(StoreError::Unavailable("the write's group was lost".into()));
        };
        group.written += 1;
        group.invalidates |= invalidates;
        let mut outcome = group.outcome.subscribe();
        if group.written >= MAX_MEMBERS || queue.waiting.load(Ordering::SeqCst) == 0 {
            // In a task of its own: a cancelled request must not leave the group half-committed.
            let committing = tokio::spawn(async move { queue.commit_group(&mut guard).await });
            return committing.await.unwrap_or_else(|error| {
                Err(StoreError::Unavailable(format!(
                    "the group commit stopped: {error}"
                )))
            });
        }
        queue.give_back(guard);
        let ended = outcome.wait_for(Option::is_some).await;
        match ended.as_deref() {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(reason))) => Err(StoreError::Unavailable(format!(
                "the group commit failed: {reason}"
            ))),
            _ => Err(StoreError::Unavailable("the group commit was lost".into())),
        }
    }

    /// The shared connection, in this writer's savepoint.
    pub(super) fn connection(&mut self) -> &mut AnyConnection {
        let group = self
            .turn
            .guard
            .as_mut()
            .and_then(|guard| guard.as_mut())
            .expect("a member holds its turn, and the open group, until it commits or is dropped");
        &mut group.tx
    }

    /// See [`Self::connection`].
    pub(super) fn connection_ref(&self) -> &AnyConnection {
        let group = self
            .turn
            .guard
            .as_ref()
            .and_then(|guard| guard.as_ref())
            .expect("a member holds its turn, and the open group, until it commits or is dropped");
        &group.tx
    }
}

impl Drop for Member {
    /// Not committed (a refusal, an error, a cancelled request): its work is undone before the next
    /// writer's — `Drop` cannot run a statement, so the next holder of the turn does. The turn is
    /// given back after this, as `turn` drops.
    fn drop(&mut self) {
        if let Some(group) = self.turn.guard.as_mut().and_then(|guard| guard.as_mut()) {
            group.undo = Some(match self.savepoint {
                Some(n) => Undo::ToSavepoint(n),
                None => Undo::Whole,
            });
        }
    }
}

/// A writer counted as waiting for its turn until served. A wait abandoned (the request cancelled)
/// may have been the one a member left the group open for: the group is committed without it.
struct Waiting<'a> {
    queue: &'a GroupCommit,
    served: bool,
}

impl<'a> Waiting<'a> {
    fn enter(queue: &'a GroupCommit) -> Self {
        queue.waiting.fetch_add(1, Ordering::SeqCst);
        Self {
            queue,
            served: false,
        }
    }

    fn served(mut self) {
        self.served = true;
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let left = self.queue.waiting.fetch_sub(1, Ordering::SeqCst) - 1;
        if !self.served && left == 0 {
            self.queue.commit_soon();
        }
    }
}
