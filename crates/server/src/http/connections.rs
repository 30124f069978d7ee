//! The listener: each connection bounded in time and the connections in number, so that
//! slow, idle or numerous clients cannot exhaust the server's descriptors or lock others out.
//!
//! - A request's headers must be complete within the header-read timeout of the connection
//!   becoming ready for it (accepted, or its previous response sent): hyper's own timer.
//! - A connection that receives and sends nothing for the idle timeout while no request is in
//!   progress is closed.
//! - At most `max_connections` are served at once. A client that finds them all taken makes
//!   every connection without a request in progress close; it waits briefly for a place, and
//!   is answered 503 `ServiceUnavailable` if none frees. Beyond a small queue of such clients,
//!   connections are closed as soon as they are accepted.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rolecall_wire::{AwsError, ErrorKind};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::app::App;

/// Clients that found every place taken and wait for one; more are closed at once.
const MAX_WAITING: usize = 64;
/// How long such a client waits for a place before it is answered 503.
const ADMISSION_WAIT: Duration = Duration::from_secs(1);
/// How long a refused client has to send its request's headers for the 503.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);
/// The least time between two warnings that the limit was reached.
const WARNING_INTERVAL: Duration = Duration::from_secs(10);
/// The pause after the listener fails to accept (out of descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The bounds on the server's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A request's headers must be complete this long after the connection is ready for the
    /// request (accepted, or its previous response sent); slower clients are cut off.
    pub header_read_timeout: Duration,
    /// A connection with no request in progress that receives and sends nothing this long is
    /// closed.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: u32,
}

impl ConnectionLimits {
    /// The defaults: headers within 10 s, idle connections closed after 5 s, 512 at once
    /// (well under the common limit of 1,024 open descriptors).
    pub const DEFAULT: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(5),
        max_connections: 512,
    };
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Serves until `shutdown` resolves, then lets the requests in progress finish.
///
/// # Errors
/// None at present: a failure to accept is logged, and accepting resumes.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let trail = app.trail().clone();
    let router = super::router(app);
    let places = Arc::new(Semaphore::new(limits.max_connections as usize));
    let waiting = Arc::new(Semaphore::new(MAX_WAITING));
    let (shed, _) = watch::channel(());
    let (stop, _) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    // Said at most once in a while, not once a connection.
    let mut warned: Option<Instant> = None;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e, &shed).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let conn = Connection {
            stream,
            peer,
            router: router.clone(),
            trail: trail.clone(),
            limits,
            shed: shed.subscribe(),
            stop: stop.subscribe(),
        };
        if let Ok(place) = Arc::clone(&places).try_acquire_owned() {
            tokio::spawn(conn.serve(place));
            continue;
        }
        // Every place is taken: the connections between requests make room.
        if warned.is_none_or(|at| at.elapsed() >= WARNING_INTERVAL) {
            warned = Some(Instant::now());
            tracing::warn!(
                max_connections = limits.max_connections,
                "the server is at its connection limit: idle connections are shed, and clients that find no place are answered 503 or closed"
            );
        }
        shed.send_replace(());
        let Ok(queued) = Arc::clone(&waiting).try_acquire_owned() else {
            tracing::debug!(%peer, "connection closed: the server is at its connection limit");
            continue;
        };
        let places = Arc::clone(&places);
        tokio::spawn(async move {
            let place = tokio::time::timeout(ADMISSION_WAIT, places.acquire_owned()).await;
            if let Ok(Ok(place)) = place {
                drop(queued);
                conn.serve(place).await;
            } else {
                conn.refuse().await;
                drop(queued);
            }
        });
    }
    drop(listener);
    stop.send_replace(());
    // Each connection holds its place until it ends.
    let _all = places.acquire_many(limits.max_connections).await;
    Ok(())
}

/// A failed accept: a connection that went away is skipped; anything else (out of
/// descriptors or memory) sheds the connections between requests and pauses.
async fn accept_failed(e: &io::Error, shed: &watch::Sender<()>) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection");
    shed.send_replace(());
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// An accepted connection and what it answers to.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    /// Counts the connection as open while it is served.
    trail: crate::audit::Trail,
    limits: ConnectionLimits,
    /// Changes when a client finds every place taken.
    shed: watch::Receiver<()>,
    /// Changes when the server shuts down.
    stop: watch::Receiver<()>,
}

impl Connection {
    /// Serves requests until the client leaves, a limit cuts it off, it is shed, or the
    /// server stops.
    async fn serve(mut self, place: OwnedSemaphorePermit) {
        let _open = self.trail.connection_opened();
        // Only a client arriving from now on sheds this connection.
        self.shed.mark_unchanged();
        // Held by the connection and by each of its requests: a request whose client left
        // still holds its place, and a stopping server waits for it.
        let place = Arc::new(place);
        let peer = self.peer;
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            stream: self.stream,
            activity: Arc::clone(&activity),
        });
        let router = TowerToHyperService::new(self.router);
        let in_service = Arc::clone(&activity);
        let service = service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let request = InProgress::begin(&in_service);
            // A task of its own, so that a request runs to its end even if its client leaves
            // mid-way (hyper then drops the connection and the futures it was polling): a change
            // it commits is never without its audit event.
            let answer = tokio::spawn({
                let answer = router.call(req);
                let place = Arc::clone(&place);
                async move {
                    let answer = answer.await;
                    drop(place);
                    answer
                }
            });
            async move {
                let answer = answer.await;
                drop(request);
                match answer {
                    Ok(answer) => answer,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Cancelled: only as the runtime itself goes away.
                    Err(_) => {
                        let mut refused = Response::new(Body::empty());
                        *refused.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                        Ok(refused)
                    }
                }
            }
        });
        let idle_timeout = self.limits.idle_timeout;
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout);
        let mut conn = std::pin::pin!(builder.serve_connection(io, service));
        let mut idle = std::pin::pin!(tokio::time::sleep(idle_timeout));
        let mut draining = false;
        loop {
            tokio::select! {
                ended = conn.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                    return;
                }
                () = &mut idle => match activity.idle_since() {
                    Some(since) if since.elapsed() >= idle_timeout => {
                        tracing::debug!(%peer, "idle connection closed");
                        return;
                    }
                    Some(since) => idle.as_mut().reset((since + idle_timeout).into()),
                    None => idle.as_mut().reset((Instant::now() + idle_timeout).into()),
                },
                Ok(()) = self.shed.changed(), if !draining => {
                    if activity.idle_since().is_some() {
                        tracing::debug!(%peer, "connection shed to make room");
                        return;
                    }
                }
                Ok(()) = self.stop.changed(), if !draining => {
                    if activity.idle_since().is_some() {
                        return;
                    }
                    conn.as_mut().graceful_shutdown();
                    draining = true;
                }
            }
        }
    }

    /// Answers the connection's request 503 `ServiceUnavailable` and closes it.
    async fn refuse(self) {
        let service = service_fn(|req: Request<Incoming>| {
            let auth: Vec<(String, String)> = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(|v| vec![("authorization".to_owned(), v.to_owned())])
                .unwrap_or_default();
            let service = super::scope_service(&auth, req.uri().query().unwrap_or(""));
            let request_id = uuid::Uuid::new_v4().to_string();
            let error = AwsError::new(
                ErrorKind::ServiceUnavailable,
                "The request has failed due to a temporary failure of the server.",
            );
            let body = error.to_xml(service, &request_id);
            let answer: Response<Body> =
                super::response(StatusCode::SERVICE_UNAVAILABLE, body, &request_id, false);
            async move { Ok::<_, Infallible>(answer) }
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(REFUSAL_TIMEOUT)
            .keep_alive(false);
        let conn = builder.serve_connection(TokioIo::new(self.stream), service);
        let _ = tokio::time::timeout(REFUSAL_TIMEOUT * 2, conn).await;
    }
}

/// What one connection has been doing: shared by its socket, its service and its task.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last byte received or sent, or the last request's end.
    last_ms: AtomicU64,
    /// Requests in progress.
    in_progress: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_progress: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Since when the connection has been quiet, or `None` while a request is in progress.
    fn idle_since(&self) -> Option<Instant> {
        if self.in_progress.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// A request in progress on a connection, from its complete headers to its answer.
struct InProgress(Arc<Activity>);

impl InProgress {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_progress.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(activity))
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The socket, noting each byte that moves.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
