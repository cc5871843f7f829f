//! The network a client counts as, for limits: an IPv4 address (also when
//! it arrives IPv4-mapped), or an IPv6 /64, since one subscriber line holds
//! a whole /64 and single addresses in it are free to rotate.

use std::net::{IpAddr, Ipv6Addr};

pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_by_64_and_mapped_ipv4_as_ipv4() {
        let net = |s: &str| client_network(s.parse().unwrap()).to_string();
        assert_eq!(net("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::");
        assert_eq!(net("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(net("192.0.2.1"), "192.0.2.1");
    }
}
