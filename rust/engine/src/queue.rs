use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::Weak;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::Notify;

/// What the engine sent: a notification, or a request the host must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Notification,
    Request,
}

/// One engine event in wire form: the JSON-RPC method, the request id (JSON
/// text) for server requests, and the params as JSON text.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    pub method: String,
    pub id: Option<String>,
    pub params: String,
}

/// Unbounded FIFO with async and blocking consumers. Unbounded on purpose:
/// back-pressure on the engine side means silently lost events.
#[derive(Default)]
pub(crate) struct EventQueue {
    items: Mutex<VecDeque<Event>>,
    notify: Notify,
    closed: AtomicBool,
}

impl EventQueue {
    pub(crate) fn push(&self, event: Event) {
        lock(&self.items).push_back(event);
        self.notify.notify_waiters();
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    fn take(&self, max: usize) -> Option<Vec<Event>> {
        let mut items = lock(&self.items);
        if items.is_empty() {
            return None;
        }
        let n = max.max(1).min(items.len());
        Some(items.drain(..n).collect())
    }

    fn drain_all(&self) -> Vec<Event> {
        lock(&self.items).drain(..).collect()
    }

    /// Up to `max` events, waiting for the first; `None` once closed and empty.
    pub(crate) async fn pop_batch(&self, max: usize) -> Option<Vec<Event>> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(batch) = self.take(max) {
                return Some(batch);
            }
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
            notified.await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep going.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The subscription key of the unrouted notifications: those that belong to no thread
/// (login completion, account updates) and those of a thread with no open stream (MCP
/// start-up status sent while a thread starts). A host subscribes to them like to a thread,
/// so they wait in an unbounded queue for it instead of in a ring that a burst would
/// overrun. Thread ids are never empty.
pub(crate) const UNROUTED: &str = "";

/// Routes engine events to the subscription of the thread they belong to.
pub(crate) struct Router {
    by_thread: Mutex<HashMap<String, Arc<EventQueue>>>,
    /// Unrouted notifications dropped because nobody subscribed to them.
    pub(crate) unrouted_dropped: AtomicU64,
    pub(crate) delivered: AtomicU64,
    closed: AtomicBool,
    decline: Decliner,
}

/// Answers a server request nobody will handle; set by the engine.
pub(crate) type Decliner = Box<dyn Fn(&Event) + Send + Sync>;

impl Router {
    pub(crate) fn new(decline: Decliner) -> Self {
        Self {
            decline,
            by_thread: Mutex::new(HashMap::new()),
            unrouted_dropped: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn subscribe(self: &Arc<Self>, thread_id: &str) -> Option<Subscription> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let queue = Arc::new(EventQueue::default());
        let mut map = lock(&self.by_thread);
        if map.contains_key(thread_id) {
            return None;
        }
        map.insert(thread_id.to_string(), queue.clone());
        Some(Subscription {
            queue,
            router: Arc::downgrade(self),
            thread_id: thread_id.to_string(),
        })
    }

    pub(crate) fn is_subscribed(&self, thread_id: &str) -> bool {
        lock(&self.by_thread).contains_key(thread_id)
    }

    /// Delivers an event; returns it back when no subscriber takes it. A notification
    /// no thread subscription takes goes to the [`UNROUTED`] subscription; a server
    /// request never does (only the thread's own stream can answer it).
    pub(crate) fn route(&self, thread_id: Option<&str>, event: Event) -> Option<Event> {
        self.delivered.fetch_add(1, Ordering::Relaxed);
        let target = {
            let map = lock(&self.by_thread);
            let own = thread_id.and_then(|id| map.get(id));
            match own {
                Some(queue) => Some(queue.clone()),
                None if event.kind == EventKind::Notification => map.get(UNROUTED).cloned(),
                None => None,
            }
        };
        match target {
            Some(queue) => {
                queue.push(event);
                None
            }
            None => Some(event),
        }
    }

    /// Counts a notification that no subscription took.
    pub(crate) fn drop_unrouted(&self, event: &Event) {
        self.unrouted_dropped.fetch_add(1, Ordering::Relaxed);
        tracing::trace!(method = %event.method, "unrouted notification with no subscriber");
    }

    pub(crate) fn decline(&self, event: &Event) {
        (self.decline)(event);
    }

    pub(crate) fn close_all(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let queues: Vec<_> = lock(&self.by_thread).drain().map(|(_, q)| q).collect();
        for queue in queues {
            queue.close();
            // Leave undelivered requests answered: the engine may still be waiting.
            for event in queue.drain_all() {
                if event.kind == EventKind::Request {
                    self.decline(&event);
                }
            }
        }
    }

    fn unsubscribe(&self, thread_id: &str, queue: &Arc<EventQueue>) -> Vec<Event> {
        let mut map = lock(&self.by_thread);
        if map.get(thread_id).is_some_and(|q| Arc::ptr_eq(q, queue)) {
            map.remove(thread_id);
        }
        drop(map);
        queue.close();
        queue.drain_all()
    }
}

/// The events of one thread, in engine order, until the subscription is closed.
pub struct Subscription {
    queue: Arc<EventQueue>,
    router: Weak<Router>,
    thread_id: String,
}

impl Subscription {
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// Waits for up to `max` events; `None` when the subscription or engine closed.
    pub async fn next_batch(&self, max: usize) -> Option<Vec<Event>> {
        self.queue.pop_batch(max).await
    }

    /// Like [`Self::next_batch`] with a deadline; `Some(vec![])` on timeout.
    pub async fn next_batch_timeout(&self, max: usize, wait: Duration) -> Option<Vec<Event>> {
        match tokio::time::timeout(wait, self.queue.pop_batch(max)).await {
            Ok(batch) => batch,
            Err(_) => Some(Vec::new()),
        }
    }

    /// Stops routing. Server requests still queued are declined: the engine
    /// waits for an answer to every one, and an unanswered one must never pass.
    pub fn close(&self) {
        if let Some(router) = self.router.upgrade() {
            for event in router.unsubscribe(&self.thread_id, &self.queue) {
                if event.kind == EventKind::Request {
                    router.decline(&event);
                }
            }
        } else {
            self.queue.close();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn event(kind: EventKind, n: usize) -> Event {
        Event {
            kind,
            method: format!("m{n}"),
            id: (kind == EventKind::Request).then(|| n.to_string()),
            params: "{}".into(),
        }
    }

    fn router() -> (Arc<Router>, Arc<AtomicUsize>) {
        let declined = Arc::new(AtomicUsize::new(0));
        let counter = declined.clone();
        let router = Router::new(Box::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        (Arc::new(router), declined)
    }

    #[tokio::test]
    async fn routes_by_thread_in_order_and_returns_unrouted() {
        let (router, _) = router();
        let sub = router.subscribe("t1").expect("subscribe");
        assert!(
            router.subscribe("t1").is_none(),
            "one subscription per thread"
        );
        for n in 0..5 {
            assert!(
                router
                    .route(Some("t1"), event(EventKind::Notification, n))
                    .is_none()
            );
        }
        let back = router.route(Some("other"), event(EventKind::Notification, 9));
        assert_eq!(back.map(|e| e.method), Some("m9".to_string()));
        let batch = sub.next_batch(3).await.expect("open");
        assert_eq!(
            batch.iter().map(|e| e.method.as_str()).collect::<Vec<_>>(),
            ["m0", "m1", "m2"]
        );
        assert_eq!(sub.next_batch(10).await.expect("open").len(), 2);
    }

    #[tokio::test]
    async fn closing_declines_queued_requests_and_ends_the_stream() {
        let (router, declined) = router();
        let sub = router.subscribe("t").expect("subscribe");
        router.route(Some("t"), event(EventKind::Request, 1));
        router.route(Some("t"), event(EventKind::Notification, 2));
        sub.close();
        assert_eq!(declined.load(Ordering::SeqCst), 1);
        assert!(sub.next_batch(10).await.is_none());
        assert!(!router.is_subscribed("t"));
    }

    #[tokio::test]
    async fn close_all_wakes_waiters() {
        let (router, declined) = router();
        let sub = Arc::new(router.subscribe("t").expect("subscribe"));
        let waiter = {
            let sub = sub.clone();
            tokio::spawn(async move { sub.next_batch(1).await })
        };
        tokio::task::yield_now().await;
        router.route(Some("t"), event(EventKind::Request, 3));
        let first = waiter.await.expect("join");
        assert_eq!(first.map(|b| b.len()), Some(1));
        router.route(Some("t"), event(EventKind::Request, 4));
        router.close_all();
        assert_eq!(declined.load(Ordering::SeqCst), 1);
        assert!(sub.next_batch(1).await.is_none());
        assert!(
            router.subscribe("u").is_none(),
            "closed router takes no subscriptions"
        );
    }

    #[tokio::test]
    async fn unrouted_notifications_wait_for_their_subscriber_without_loss() {
        let (router, declined) = router();
        let back = router.route(None, event(EventKind::Notification, 0));
        assert!(back.is_some(), "no subscriber yet: returned to the caller");
        let unrouted = router.subscribe(UNROUTED).expect("subscribe");
        let thread = router.subscribe("t").expect("subscribe");
        for n in 1..=5000 {
            assert!(
                router
                    .route(None, event(EventKind::Notification, n))
                    .is_none()
            );
            assert!(
                router
                    .route(Some("nobody"), event(EventKind::Notification, n))
                    .is_none()
            );
            assert!(
                router
                    .route(Some("t"), event(EventKind::Notification, n))
                    .is_none()
            );
        }
        assert!(
            router.route(None, event(EventKind::Request, 7)).is_some(),
            "server requests are not queued for the unrouted subscriber"
        );
        assert!(
            router
                .route(Some("nobody"), event(EventKind::Request, 8))
                .is_some()
        );
        let batch = unrouted.next_batch(20_000).await.expect("open");
        assert_eq!(batch.len(), 10_000);
        assert_eq!(batch.first().map(|e| e.method.as_str()), Some("m1"));
        assert_eq!(batch.last().map(|e| e.method.as_str()), Some("m5000"));
        assert_eq!(thread.next_batch(20_000).await.expect("open").len(), 5000);
        assert_eq!(declined.load(Ordering::SeqCst), 0);
    }
}
