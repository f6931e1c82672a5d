//! A small raw HTTP/2 frame writer and reader (RFC 9113 §4, HPACK's literal and indexed forms of RFC 7541),
//! for sending what a well-behaved client library never would: floods, resets, header bombs.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub(crate) const DATA: u8 = 0x0;
pub(crate) const HEADERS: u8 = 0x1;
pub(crate) const RST_STREAM: u8 = 0x3;
pub(crate) const SETTINGS: u8 = 0x4;
pub(crate) const PING: u8 = 0x6;
pub(crate) const GOAWAY: u8 = 0x7;
pub(crate) const WINDOW_UPDATE: u8 = 0x8;
pub(crate) const CONTINUATION: u8 = 0x9;

pub(crate) const END_STREAM: u8 = 0x1;
pub(crate) const END_HEADERS: u8 = 0x4;

/// One frame: the 9-byte header and the payload.
pub(crate) fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    assert!(len < 1 << 24);
    let mut out = Vec::with_capacity(9 + len);
    out.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags]);
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// SETTINGS with `(identifier, value)` pairs.
pub(crate) fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (id, value) in pairs {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&value.to_be_bytes());
    }
    frame(SETTINGS, 0, 0, &payload)
}

/// An HPACK integer with an `n`-bit prefix whose high bits are `first` (RFC 7541 §5.1).
pub(crate) fn hpack_int(first: u8, n: u32, mut value: usize) -> Vec<u8> {
    let max = (1usize << n) - 1;
    if value < max {
        return vec![first | value as u8];
    }
    let mut out = vec![first | max as u8];
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
    out
}

/// A string literal, not Huffman-coded.
fn hpack_str(s: &[u8]) -> Vec<u8> {
    let mut out = hpack_int(0, 7, s.len());
    out.extend_from_slice(s);
    out
}

/// A field line without indexing, with a literal name (RFC 7541 §6.2.2).
pub(crate) fn literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x00];
    out.extend(hpack_str(name));
    out.extend(hpack_str(value));
    out
}

/// A field line with incremental indexing, with a literal name (RFC 7541 §6.2.1): the field enters the
/// dynamic table at index 62.
pub(crate) fn literal_indexed(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x40];
    out.extend(hpack_str(name));
    out.extend(hpack_str(value));
    out
}

/// An indexed field line (RFC 7541 §6.1).
pub(crate) fn indexed(index: usize) -> Vec<u8> {
    hpack_int(0x80, 7, index)
}

/// The field block of `GET path` to `authority` over http: `:method GET` (2), `:scheme http` (6) from the
/// static table, `:authority` and `:path` with indexed names (1 and 4).
pub(crate) fn get_block(authority: &str, path: &str) -> Vec<u8> {
    let mut out = vec![0x82, 0x86];
    out.extend(hpack_int(0x00, 4, 1));
    out.extend(hpack_str(authority.as_bytes()));
    out.extend(hpack_int(0x00, 4, 4));
    out.extend(hpack_str(path.as_bytes()));
    out
}

/// A frame read off the wire.
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) kind: u8,
    pub(crate) flags: u8,
    pub(crate) stream: u32,
    pub(crate) payload: Vec<u8>,
}

impl Frame {
    /// A GOAWAY's error code.
    pub(crate) fn error_code(&self) -> Option<u32> {
        match self.kind {
            GOAWAY if self.payload.len() >= 8 => Some(u32::from_be_bytes(self.payload[4..8].try_into().unwrap())),
            RST_STREAM if self.payload.len() >= 4 => Some(u32::from_be_bytes(self.payload[..4].try_into().unwrap())),
            _ => None,
        }
    }
}

/// Reads one frame; `None` when the connection ends.
pub(crate) async fn read_frame<I: AsyncRead + Unpin>(io: &mut I) -> Option<Frame> {
    let mut head = [0u8; 9];
    io.read_exact(&mut head).await.ok()?;
    let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
    let mut payload = vec![0u8; len];
    io.read_exact(&mut payload).await.ok()?;
    Some(Frame {
        kind: head[3],
        flags: head[4],
        stream: u32::from_be_bytes(head[5..9].try_into().unwrap()) & 0x7fff_ffff,
        payload,
    })
}

/// `count` requests for the field block `block`, each reset at once with CANCEL (RFC 9113 §8.4 rapid reset),
/// on the odd stream ids after `2 * first`.
pub(crate) fn opened_and_reset(block: &[u8], first: u32, count: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in first..first + count {
        let id = 2 * i + 1;
        bytes.extend(frame(HEADERS, END_HEADERS | END_STREAM, id, block));
        bytes.extend(frame(RST_STREAM, 0, id, &8u32.to_be_bytes()));
    }
    bytes
}

/// Frames read until the connection ends or `limit` passes; and whether it ended.
pub(crate) async fn frames_until_closed<I: AsyncRead + Unpin>(
    io: &mut I,
    limit: std::time::Duration,
) -> (Vec<Frame>, bool) {
    let mut frames = Vec::new();
    let ended = tokio::time::timeout(limit, async {
        while let Some(f) = read_frame(io).await {
            frames.push(f);
        }
    })
    .await
    .is_ok();
    (frames, ended)
}

/// Writes the preface and an empty SETTINGS frame, as every client starts.
pub(crate) async fn open<I: AsyncWrite + Unpin>(io: &mut I) {
    io.write_all(PREFACE).await.unwrap();
    io.write_all(&settings(&[])).await.unwrap();
}

/// The resident memory of this process, in KiB (the server under test runs in it).
pub(crate) fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
