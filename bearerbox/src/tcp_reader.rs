//! A TCP socket that is not read again, after a read drained it, until the
//! reactor says data arrived.
//!
//! async-io tries a socket before it waits on it. A loop that reads a
//! connection whenever it wakes (hyper's connections, the SMPP link, which
//! also wakes for submissions and commits, a box connection) so pays a
//! `recv` that finds nothing (EAGAIN) for each wake after the read that
//! emptied the socket. A read that came back shorter than asked took all
//! there was: the next one first registers for readiness instead of trying
//! the socket. Whatever wakes the task then, the socket is tried, as async-io
//! does; data that arrived in between is reported by re-arming the one-shot
//! registration, so no read waits longer than it would have.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_lite::{AsyncRead, AsyncWrite};
use smol::Async;
use smol::net::TcpStream;

pub struct TcpReader {
    stream: TcpStream,
    /// The same registration as `stream`'s: async-net's stream is a handle on it.
    readiness: Arc<Async<std::net::TcpStream>>,
    /// The last read came back short: it took all there was.
    drained: bool,
}

impl TcpReader {
    pub fn new(stream: TcpStream) -> TcpReader {
        let readiness = Arc::<Async<std::net::TcpStream>>::from(stream.clone());
        TcpReader {
            stream,
            readiness,
            drained: false,
        }
    }

    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }
}

impl AsyncRead for TcpReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.drained {
            // Only the first poll after a drained read skips the socket. Once
            // woken, the socket is tried as async-io itself does: an event the
            // reactor delivers in the turn this registration was made in is not
            // reported as readiness (async-io cannot tell it from an older one),
            // and waiting for the next would hold data that is already there.
            this.drained = false;
            ready!(this.readiness.poll_readable(cx))?;
        }
        let read = ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        this.drained = read > 0 && read < buf.len();
        Poll::Ready(Ok(read))
    }
}

impl AsyncWrite for TcpReader {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
    use std::time::Duration;

    /// Both ends of a loopback connection: the peer that writes, and the reader.
    async fn connected() -> (TcpStream, TcpReader) {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let client = TcpStream::connect(address).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (server, TcpReader::new(client))
    }

    /// Reads `room` bytes at most, failing the test after 5 s.
    async fn read_some(reader: &mut TcpReader, room: usize) -> Vec<u8> {
        let mut buf = vec![0u8; room];
        let waited = future::or(async { Some(reader.read(&mut buf).await) }, async {
            smol::Timer::after(Duration::from_secs(5)).await;
            None
        })
        .await;
        let Some(read) = waited else {
            panic!("a read waited 5 s for data that had arrived");
        };
        let Ok(count) = read else {
            panic!("the read failed: {read:?}");
        };
        buf.truncate(count);
        buf
    }

    /// async-io does not report an event delivered in the reactor turn a
    /// registration was made in, so after the one wait a drained read
    /// registers, any wake tries the socket: here the data is there and the
    /// reactor has not turned at all, and the second poll must find it.
    #[test]
    fn once_woken_the_socket_is_tried_without_waiting_for_the_reactor() {
        smol::block_on(async {
            let (mut server, mut reader) = connected().await;
            server.write_all(b"first").await.expect("write");
            assert_eq!(read_some(&mut reader, 100).await, b"first");

            server.write_all(b"second").await.expect("write");
            server.flush().await.expect("flush");
            std::thread::sleep(Duration::from_millis(20));
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let mut buf = [0u8; 100];
            assert!(
                Pin::new(&mut reader)
                    .poll_read(&mut cx, &mut buf)
                    .is_pending(),
                "the first poll after a drained read only registers"
            );
            match Pin::new(&mut reader).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(count)) => assert_eq!(buf.get(..count), Some(&b"second"[..])),
                other => panic!("the second poll must read what is there, got {other:?}"),
            }
        });
    }

    /// After a read that drained the socket, the next one waits for the
    /// reactor instead of trying the socket: it must still see what arrives,
    /// whether it arrived before that read began or after.
    #[test]
    fn a_drained_socket_is_read_again_once_data_arrives() {
        smol::block_on(async {
            let (mut server, mut reader) = connected().await;

            server.write_all(b"first").await.expect("write");
            assert_eq!(read_some(&mut reader, 100).await, b"first");
            assert!(reader.drained, "a short read drained the socket");

            // Arrived before the next read starts: found at once.
            server.write_all(b"second").await.expect("write");
            smol::Timer::after(Duration::from_millis(20)).await;
            assert_eq!(read_some(&mut reader, 100).await, b"second");

            // Arrives while the read waits.
            let writer = smol::spawn(async move {
                smol::Timer::after(Duration::from_millis(20)).await;
                server.write_all(b"third").await.expect("write");
                server
            });
            assert_eq!(read_some(&mut reader, 100).await, b"third");

            // A full read does not say the socket is drained.
            let mut server = writer.await;
            server.write_all(&[7u8; 300]).await.expect("write");
            smol::Timer::after(Duration::from_millis(20)).await;
            assert_eq!(read_some(&mut reader, 100).await, vec![7u8; 100]);
            assert!(!reader.drained);
            assert_eq!(read_some(&mut reader, 500).await, vec![7u8; 200]);

            // The end of the stream is seen after a drained read too.
            drop(server);
            assert_eq!(read_some(&mut reader, 100).await, b"");
        });
    }
}
