//! One HTTP/1.1 connection served by hyper, for both listeners (the portal's and the web
//! admin's). Both answer through the same service type (`Handler`, a boxed function giving
//! a boxed future), so hyper's connection machinery is compiled once: each service type
//! instantiates all of it again (some 25 KB on mips). The listeners keep their own accept
//! loops and limits; this only drives a connection they took.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpStream;

use super::http::Body;

/// The answer to one request, being worked out.
pub type Reply = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

/// A connection being served: ends when the client or hyper closes it.
pub type Served = Pin<Box<dyn Future<Output = Result<(), hyper::Error>> + Send>>;

/// Answers the requests of one connection.
pub struct Handler(Box<dyn Fn(Request<Incoming>) -> Reply + Send + Sync>);

impl Handler {
    pub fn new(answer: impl Fn(Request<Incoming>) -> Reply + Send + Sync + 'static) -> Self {
        Handler(Box::new(answer))
    }
}

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Reply;

    fn call(&self, req: Request<Incoming>) -> Reply {
        (self.0)(req)
    }
}

/// Serves `stream` with `handler`: request headers within `header_timeout` (also between
/// kept-alive requests), at most `max_head_bytes` buffered; stops gracefully with `graceful`.
pub fn serve(
    stream: TcpStream,
    header_timeout: Duration,
    max_head_bytes: usize,
    graceful: &GracefulShutdown,
    handler: Handler,
) -> Served {
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(max_head_bytes)
        .serve_connection(TokioIo::new(stream), handler);
    Box::pin(graceful.watch(connection))
}
