//! Baskets: one playlist per line, its tracks the line's whitespace-separated tokens (FIMI
//! `.dat` style), split into tokens a chunk ahead of the interning.

use std::io::{self, Read};
use std::path::Path;

use super::ahead::{Parser, parse_ahead};
use super::builder::Builder;
use super::files::open;
use super::intern::{DENSE_LIMIT, small_integer};
use super::{ReadError, ReadOptions};

/// Reads the baskets file `path` into `b`: one playlist per line, its tracks the line's tokens.
pub(super) fn read(path: &Path, b: &mut Builder, options: ReadOptions) -> Result<(), ReadError> {
    let reader = open(path, &b.progress)?;
    let io_error = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    // Splitting lines into tokens (UTF-8 checks, integer parsing) runs on its own thread, a
    // chunk ahead of the id assignment, sorting and dedup below.
    let split = move |parser: Parser<Chunk>| split_chunks(reader, &parser);
    parse_ahead(split, |chunks| {
        let mut number = 0u64;
        for mut chunk in chunks.iter() {
            if let Some(e) = chunk.error.take() {
                return Err(io_error(e));
            }
            let mut first = 0;
            for &line in &chunk.lines {
                number += 1;
                let end = match line {
                    Line::Tokens { end } => end as usize,
                    Line::Invalid { column } => {
                        let err = ReadError::Syntax {
                            path: path.to_owned(),
                            line: number,
                            column: u64::from(column),
                            message: "invalid UTF-8".into(),
                        };
                        if options.skip_invalid {
                            b.skip(err.to_string());
                            continue;
                        }
                        return Err(err);
                    }
                };
                let tokens = &chunk.tokens[first..end];
                first = end;
                b.rows += tokens.len() as u64;
                // Known integer tokens first, in a loop of independent loads (the dense
                // array is larger than the cache: the misses overlap), then the rest in
                // order, so that new tracks get their ids in order of first sight.
                let mut ids = std::mem::take(&mut b.current);
                ids.extend(tokens.iter().map(|&token| match token {
                    Token::Integer(n) => b.intern.known_integer(n),
                    Token::Text { .. } => u32::MAX,
                }));
                for (id, &token) in ids.iter_mut().zip(tokens) {
                    if *id == u32::MAX {
                        *id = match token {
                            Token::Integer(n) => b.intern.integer(n),
                            Token::Text { start, end } => {
                                b.intern.token(chunk.text(start as usize..end as usize))
                            }
                        };
                    }
                }
                b.current = ids;
                b.end_playlist();
            }
            chunks.recycle(chunk);
        }
        Ok(())
    })
}

/// Whole lines of a baskets file, split into tokens ahead of the id assignment.
#[derive(Default)]
struct Chunk {
    /// The lines' bytes.
    bytes: Vec<u8>,
    /// Every line's tokens, line after line.
    tokens: Vec<Token>,
    /// Each line, in order.
    lines: Vec<Line>,
    /// The I/O error that ended the input here: the chunk has no lines then.
    error: Option<io::Error>,
}

impl Chunk {
    /// A chunk that carries only `error`.
    fn failed(error: io::Error) -> Chunk {
        Chunk {
            error: Some(error),
            ..Chunk::default()
        }
    }

    /// The text of a token (valid UTF-8: the splitter checked its line).
    fn text(&self, range: std::ops::Range<usize>) -> &str {
        std::str::from_utf8(&self.bytes[range]).unwrap_or_default()
    }
}

/// A basket token.
#[derive(Clone, Copy)]
enum Token {
    /// A canonical small integer (see [`small_integer`]).
    Integer(u32),
    /// Any other token: its bytes in [`Chunk::bytes`].
    Text { start: u32, end: u32 },
}

/// A line of a [`Chunk`].
#[derive(Clone, Copy)]
enum Line {
    /// The line's tokens end at this index of [`Chunk::tokens`] (they start where the
    /// previous line's ended).
    Tokens { end: u32 },
    /// The line is not UTF-8: the byte column (1-based) of the first bad byte.
    Invalid { column: u32 },
}

/// Bytes read per [`Chunk`] (more when a single line is longer).
const CHUNK_BYTES: usize = 1 << 20;

/// Reads `reader` into chunks of whole lines for the consumer, reusing the chunks that come
/// back. Stops at the end of the input, after an I/O error (sent in a chunk of its own), or
/// when the consumer hangs up.
fn split_chunks<R: Read>(mut reader: R, parser: &Parser<Chunk>) {
    // Bytes read past the last complete line, carried into the next chunk.
    let mut carry: Vec<u8> = Vec::new();
    let mut eof = false;
    while !eof {
        let mut chunk = parser.recycled().unwrap_or_default();
        chunk.bytes.clear();
        chunk.bytes.append(&mut carry);
        // Fill up to CHUNK_BYTES, then on until a newline if the chunk has none yet (the
        // carried bytes have none).
        let mut newline = false;
        loop {
            let filled = chunk.bytes.len();
            if filled >= CHUNK_BYTES && newline {
                break;
            }
            if filled > u32::MAX as usize - CHUNK_BYTES {
                let error = io::Error::new(io::ErrorKind::InvalidData, "a line longer than 4 GiB");
                parser.send(Chunk::failed(error));
                return;
            }
            chunk.bytes.resize(
                filled + (CHUNK_BYTES - filled.min(CHUNK_BYTES)).max(1 << 16),
                0,
            );
            match reader.read(&mut chunk.bytes[filled..]) {
                Ok(0) => {
                    chunk.bytes.truncate(filled);
                    eof = true;
                    break;
                }
                Ok(n) => {
                    chunk.bytes.truncate(filled + n);
                    newline = newline || chunk.bytes[filled..].contains(&b'\n');
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => chunk.bytes.truncate(filled),
                Err(e) => {
                    parser.send(Chunk::failed(e));
                    return;
                }
            }
        }
        if !eof {
            let cut = chunk
                .bytes
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            carry.extend_from_slice(&chunk.bytes[cut..]);
            chunk.bytes.truncate(cut);
        }
        split_lines(&mut chunk);
        if !parser.send(chunk) {
            return;
        }
    }
}

/// Fills `chunk.tokens` and `chunk.lines` from `chunk.bytes`. Tokens are separated by
/// whitespace as [`str::split_whitespace`] defines it.
fn split_lines(chunk: &mut Chunk) {
    let Chunk {
        bytes,
        tokens,
        lines,
        error: _,
    } = chunk;
    tokens.clear();
    lines.clear();
    let all_ascii = bytes.is_ascii();
    let mut start = 0;
    while start < bytes.len() {
        let end = if all_ascii {
            split_ascii_line(bytes, start, tokens)
        } else {
            let end = bytes[start..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(bytes.len(), |i| start + i + 1);
            let line = &bytes[start..end];
            if line.is_ascii() {
                split_ascii_line(&bytes[..end], start, tokens);
            } else {
                match std::str::from_utf8(line) {
                    Ok(text) => {
                        for token in text.split_whitespace() {
                            let at = start + (token.as_ptr() as usize - text.as_ptr() as usize);
                            tokens.push(token_at(bytes, at, at + token.len()));
                        }
                    }
                    Err(e) => {
                        lines.push(Line::Invalid {
                            column: e.valid_up_to() as u32 + 1,
                        });
                        start = end;
                        continue;
                    }
                }
            }
            end
        };
        lines.push(Line::Tokens {
            end: tokens.len() as u32,
        });
        start = end;
    }
}

/// Splits the ASCII line that starts at `bytes[start]` into tokens; returns where the next
/// line starts (past the newline, or the end of `bytes`).
fn split_ascii_line(bytes: &[u8], start: usize, tokens: &mut Vec<Token>) -> usize {
    // What `char::is_whitespace` accepts below 128: tab, newline, vertical tab, form feed,
    // carriage return and space.
    let space = |c: u8| c == b' ' || (b'\t'..=b'\r').contains(&c);
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' {
            return i + 1;
        }
        if space(c) {
            i += 1;
            continue;
        }
        // Scan the token and parse it as a decimal integer in the same pass (what
        // `small_integer` accepts, without a second look at the bytes).
        let token = i;
        let mut n = 0u32;
        let mut digits = true;
        while i < bytes.len() && !space(bytes[i]) {
            let d = bytes[i].wrapping_sub(b'0');
            digits &= d < 10;
            n = n.wrapping_mul(10).wrapping_add(u32::from(d));
            i += 1;
        }
        let len = i - token;
        let canonical = digits && len <= 8 && (len == 1 || bytes[token] != b'0');
        tokens.push(if canonical && n < DENSE_LIMIT {
            Token::Integer(n)
        } else {
            Token::Text {
                start: token as u32,
                end: i as u32,
            }
        });
    }
    i
}

fn token_at(bytes: &[u8], start: usize, end: usize) -> Token {
    match small_integer(&bytes[start..end]) {
        Some(n) => Token::Integer(n),
        None => Token::Text {
            start: start as u32,
            end: end as u32,
        },
    }
}
