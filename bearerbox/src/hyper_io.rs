//! hyper's I/O traits over a futures-io stream (smol's sockets, TLS streams).
//!
//! smol-hyper's adapter zeroes the whole free part of hyper's read buffer
//! before every read, because futures-io reads into initialized bytes: 8 KiB
//! or more for requests of a few hundred, 3 % of smsbox's time under load.
//! This one reads into a small buffer of its own, initialized once, and
//! copies into hyper's only what arrived.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;
use smol::net::TcpStream;

use crate::tcp_reader::TcpReader;

/// The most one read takes; a larger request takes more reads.
const SCRATCH: usize = 4096;

pub struct HyperIo<T> {
    inner: T,
    scratch: Box<[u8]>,
}

impl<T> HyperIo<T> {
    pub fn new(inner: T) -> Self {
        HyperIo {
            inner,
            scratch: vec![0; SCRATCH].into_boxed_slice(),
        }
    }
}

impl HyperIo<TcpReader> {
    /// Over a TCP socket, not read again after a read that drained it until
    /// data arrives (see [`TcpReader`]): hyper polls a connection's read side
    /// more than once per request.
    pub fn tcp(stream: TcpStream) -> Self {
        HyperIo::new(TcpReader::new(stream))
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let room = buf.remaining().min(this.scratch.len());
        let Some(scratch) = this.scratch.get_mut(..room) else {
            return Poll::Ready(Ok(()));
        };
        let read = ready!(Pin::new(&mut this.inner).poll_read(cx, scratch))?;
        if let Some(arrived) = scratch.get(..read) {
            buf.put_slice(arrived);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Read;

    /// A read of more than the scratch buffer holds arrives whole over several reads,
    /// and a read into a cursor with little room takes only what fits.
    #[test]
    fn reads_arrive_whole_and_in_order() {
        let source: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = HyperIo::new(futures_lite::io::Cursor::new(source.clone()));
        let mut received = Vec::new();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        for room in [3usize, 5000, 5000, 5000, 100].into_iter().cycle().take(20) {
            let mut raw = vec![0u8; room];
            let mut buf = hyper::rt::ReadBuf::new(&mut raw);
            match Pin::new(&mut io).poll_read(&mut cx, buf.unfilled()) {
                Poll::Ready(Ok(())) => received.extend_from_slice(buf.filled()),
                other => panic!("a cursor never waits: {other:?}"),
            }
        }
        assert_eq!(received, source);
    }
}
