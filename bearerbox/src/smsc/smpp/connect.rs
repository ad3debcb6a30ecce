//! Opening the TCP connection to an SMSC: from `our-host` / `our-port` when the configuration
//! pins the local end (operators often allow one source address only), with TCP_NODELAY since
//! SMPP is many small PDUs each waiting for an answer, and checked against `connect-allow-ip`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use futures_lite::future;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrStorage, bind, connect, setsockopt, socket,
    sockopt::ReuseAddr,
};
use smol::Timer;
use smol::net::TcpStream;

use crate::ip_list::IpList;

/// Where to connect from and to.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub local_host: Option<IpAddr>,
    pub local_port: Option<u16>,
    pub allow: Option<&'a IpList>,
    pub timeout: Duration,
}

pub async fn open(target: &Target<'_>) -> io::Result<TcpStream> {
    let attempt = async {
        if target.local_host.is_none() && target.local_port.is_none() {
            return TcpStream::connect((target.host, target.port)).await;
        }
        let remote = smol::net::resolve((target.host, target.port))
            .await?
            .into_iter()
            .find(|remote| {
                target
                    .local_host
                    .is_none_or(|local| local.is_ipv4() == remote.is_ipv4())
            })
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("{} has no address of our-host's family", target.host),
                )
            })?;
        let local_ip = target.local_host.unwrap_or(if remote.is_ipv4() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        });
        let local = SocketAddr::new(local_ip, target.local_port.unwrap_or(0));
        // A blocking connect on the blocking pool: simpler than a non-blocking one, and a
        // link connects rarely.
        let stream = smol::unblock(move || connect_from(local, remote)).await?;
        TcpStream::try_from(stream)
    };
    let timeout = async {
        Timer::after(target.timeout).await;
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no connection within {:?}", target.timeout),
        ))
    };
    let stream = future::or(attempt, timeout).await?;
    let peer = stream.peer_addr()?;
    if let Some(allow) = target.allow
        && !allow.contains(peer.ip())
    {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not in connect-allow-ip", peer.ip()),
        ));
    }
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn connect_from(local: SocketAddr, remote: SocketAddr) -> io::Result<std::net::TcpStream> {
    let family = if remote.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    // A fixed our-port must be reusable at once after a reconnect.
    setsockopt(&fd, ReuseAddr, &true)?;
    bind(fd.as_raw_fd(), &SockaddrStorage::from(local))?;
    connect(fd.as_raw_fd(), &SockaddrStorage::from(remote))?;
    Ok(std::net::TcpStream::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_from_a_chosen_local_address_comes_from_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = Target {
            host: "127.0.0.1",
            port,
            local_host: Some("127.0.0.1".parse().unwrap()),
            local_port: None,
            allow: None,
            timeout: Duration::from_secs(5),
        };
        let stream = smol::block_on(open(&target)).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(stream.local_addr().unwrap(), peer);
    }

    #[test]
    fn an_smsc_outside_connect_allow_ip_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let allow = IpList::parse("10.0.0.1");
        let target = Target {
            host: "127.0.0.1",
            port,
            local_host: None,
            local_port: None,
            allow: Some(&allow),
            timeout: Duration::from_secs(5),
        };
        let error = smol::block_on(open(&target)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    }
}
