//! hyper's I/O traits over a futures-io stream (smol's sockets, TLS streams).
//!
//! smol-hyper's adapter zeroes the whole free part of hyper's read buffer
//! before every read, because futures-io reads into initialized bytes: 8 KiB
//! or more for requests of a few hundred, 3 % of smsbox's time under load.
//! This one reads into a small buffer of its own, initialized once, and
//! copies into hyper's only what arrived.
//!
//! Over a plain TCP socket it also skips the read that would fail. async-io
//! tries the socket before it waits for it, so each request on a keep-alive
//! connection cost a `recv` that found nothing (EAGAIN) after the one that
//! read it, and hyper polls a connection's read side more than once per
//! request. A read that came back shorter than asked drained the socket:
//! the next one first waits for the reactor to say data arrived. If some
//! arrived in between, re-arming the one-shot registration reports it at
//! once, so nothing waits longer than it would have.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_lite::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;
use smol::Async;
use smol::net::TcpStream;

/// The most one read takes; a larger request takes more reads.
const SCRATCH: usize = 4096;

pub struct HyperIo<T> {
    inner: T,
    scratch: Box<[u8]>,
    /// A TCP socket's registration in the reactor, to wait on before a read.
    readiness: Option<Arc<Async<std::net::TcpStream>>>,
    /// The last read took all there was (it came back short).
    drained: bool,
}

impl<T> HyperIo<T> {
    pub fn new(inner: T) -> Self {
        HyperIo {
            inner,
            scratch: vec![0; SCRATCH].into_boxed_slice(),
            readiness: None,
            drained: false,
        }
    }
}

impl HyperIo<TcpStream> {
    /// Over a TCP socket, reading only once the reactor says data arrived
    /// after a read drained it.
    pub fn tcp(stream: TcpStream) -> Self {
        // The same registration as `stream`'s: async-net's stream is a handle on it.
        let readiness = Arc::<Async<std::net::TcpStream>>::from(stream.clone());
        HyperIo {
            readiness: Some(readiness),
            ..HyperIo::new(stream)
        }
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.drained {
            if let Some(readiness) = &this.readiness {
                ready!(readiness.poll_readable(cx))?;
            }
            this.drained = false;
        }
        let room = buf.remaining().min(this.scratch.len());
        let Some(scratch) = this.scratch.get_mut(..room) else {
            return Poll::Ready(Ok(()));
        };
        let read = ready!(Pin::new(&mut this.inner).poll_read(cx, scratch))?;
        this.drained = this.readiness.is_some() && read > 0 && read < room;
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

    /// Reads `room` bytes at most through hyper's trait, waiting as hyper would.
    async fn read_some<T: AsyncRead + Unpin>(io: &mut HyperIo<T>, room: usize) -> Vec<u8> {
        let mut raw = vec![0u8; room];
        let mut buf = hyper::rt::ReadBuf::new(&mut raw);
        let read = std::future::poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, buf.unfilled()));
        let waited = futures_lite::future::or(async { Some(read.await) }, async {
            smol::Timer::after(std::time::Duration::from_secs(5)).await;
            None
        })
        .await;
        let Some(read) = waited else {
            panic!("a read waited 5 s for data that had arrived");
        };
        assert!(read.is_ok(), "{read:?}");
        buf.filled().to_vec()
    }

    /// After a read that drained the socket, the next one waits for the
    /// reactor instead of trying the socket: it must still see what arrives,
    /// whether it arrived before that read began or after.
    #[test]
    fn a_drained_tcp_socket_is_read_again_once_data_arrives() {
        smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let address = listener.local_addr().expect("address");
            let client = TcpStream::connect(address).await.expect("connect");
            let (mut server, _) = listener.accept().await.expect("accept");
            let mut io = HyperIo::tcp(client);
            use futures_lite::AsyncWriteExt;

            server.write_all(b"first").await.expect("write");
            assert_eq!(read_some(&mut io, 100).await, b"first");
            assert!(io.drained, "a short read drained the socket");

            // Arrived before the next read starts: found at once.
            server.write_all(b"second").await.expect("write");
            smol::Timer::after(std::time::Duration::from_millis(20)).await;
            assert_eq!(read_some(&mut io, 100).await, b"second");

            // Arrives while the read waits.
            let writer = smol::spawn(async move {
                smol::Timer::after(std::time::Duration::from_millis(20)).await;
                server.write_all(b"third").await.expect("write");
                server
            });
            assert_eq!(read_some(&mut io, 100).await, b"third");

            // A full read does not say the socket is drained.
            let mut server = writer.await;
            server.write_all(&[7u8; 300]).await.expect("write");
            smol::Timer::after(std::time::Duration::from_millis(20)).await;
            assert_eq!(read_some(&mut io, 100).await, vec![7u8; 100]);
            assert!(!io.drained);
            assert_eq!(read_some(&mut io, 500).await, vec![7u8; 200]);
        });
    }

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
