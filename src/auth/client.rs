//! Who is on the other end: the client's address (believing `X-Forwarded-For` only from
//! configured proxies) and the browser's device token.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};

/// The cookie that marks a browser where its owner signed in successfully.
pub const DEVICE_COOKIE: &str = "carebell_device";

/// How long a device cookie lasts (one year).
pub const DEVICE_COOKIE_MAX_AGE_S: u64 = 365 * 86_400;

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .map(|s| s.parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers("203.0.113.9, 198.51.100.7, 10.0.0.4");
        // From the proxy: the right-most untrusted hop (the first two are the client's claim).
        assert_eq!(
            client_address(Some(proxy), &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // From anyone else the header is ignored.
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_address(Some(stranger), &h, &trusted), stranger);
        assert_eq!(client_address(Some(proxy), &h, &[]), proxy);
        // A malformed header from the proxy falls back to the proxy itself.
        assert_eq!(
            client_address(Some(proxy), &headers("junk"), &trusted),
            proxy
        );
    }
}
