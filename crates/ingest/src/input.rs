//! Inputs: files, globs and stdin, with gzip recognised by its magic bytes
//! (not by the file name), and the facts parsers need about each (a name
//! for messages, and a reference time for year-less stamps).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::IngestError;

/// Where lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// The name used in messages and in `log.file.path`.
    pub fn display_name(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// Expands command-line arguments into sources: `-` is stdin, a pattern with
/// `*`, `?` or `[` that is not itself an existing file is a glob (sorted
/// matches). Each argument yields its sources or an error, in order, so
/// that one bad argument does not stop the others.
pub fn expand_args(args: &[String]) -> Vec<Result<Source, IngestError>> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Ok(Source::Stdin));
            continue;
        }
        let is_pattern = arg.contains(['*', '?', '[']) && !Path::new(arg).exists();
        if !is_pattern {
            out.push(Ok(Source::File(PathBuf::from(arg))));
            continue;
        }
        match glob::glob(arg) {
            Err(e) => out.push(Err(IngestError::BadPattern {
                pattern: arg.clone(),
                reason: e.msg.to_string(),
            })),
            Ok(paths) => {
                let mut found: Vec<PathBuf> = Vec::new();
                for p in paths {
                    match p {
                        Ok(p) if p.is_file() => found.push(p),
                        Ok(_) => {}
                        Err(e) => out.push(Err(IngestError::Open {
                            path: e.path().display().to_string(),
                            source: io::Error::new(e.error().kind(), e.error().to_string()),
                        })),
                    }
                }
                if found.is_empty() {
                    out.push(Err(IngestError::NoMatch {
                        pattern: arg.clone(),
                    }));
                }
                found.sort();
                out.extend(found.into_iter().map(|p| Ok(Source::File(p))));
            }
        }
    }
    out
}

/// An opened source.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    /// Whether the bytes were gzip-compressed.
    pub gzip: bool,
    /// Modification time of a file; `None` for stdin.
    pub modified: Option<SystemTime>,
    /// Size on disk of a file (compressed size for gzip), for progress.
    pub size: Option<u64>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens a source for reading, decompressing gzip (also multi-member, as
/// `cat a.gz b.gz` or logrotate produce) when the first bytes say so.
pub fn open(source: &Source) -> Result<Opened, IngestError> {
    match source {
        Source::Stdin => {
            let (reader, gzip) = wrap(Box::new(io::stdin()), "-")?;
            Ok(Opened {
                reader,
                gzip,
                modified: None,
                size: None,
            })
        }
        Source::File(path) => {
            let name = path.display().to_string();
            let open_err = |source| IngestError::Open {
                path: name.clone(),
                source,
            };
            let file = File::open(path).map_err(open_err)?;
            let meta = file.metadata().map_err(open_err)?;
            if meta.is_dir() {
                return Err(IngestError::IsDirectory { path: name });
            }
            let (reader, gzip) = wrap(Box::new(file), &name)?;
            Ok(Opened {
                reader,
                gzip,
                modified: meta.modified().ok(),
                size: Some(meta.len()),
            })
        }
    }
}

fn wrap(
    inner: Box<dyn Read + Send>,
    name: &str,
) -> Result<(Box<dyn Read + Send>, bool), IngestError> {
    let mut buffered = BufReader::with_capacity(64 * 1024, inner);
    let head = loop {
        match buffered.fill_buf() {
            Ok(b) => break b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(IngestError::Read {
                    path: name.to_string(),
                    source,
                });
            }
        }
    };
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        Ok((Box::new(GzipErrors(decoder)), true))
    } else {
        Ok((Box::new(buffered), false))
    }
}

/// Gives gzip errors a message that says what happened.
struct GzipErrors<R>(R);

impl<R: Read> Read for GzipErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(e.kind(), "gzip stream is truncated")
            } else {
                io::Error::new(e.kind(), format!("corrupt gzip data: {e}"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.log"); // gzip inside, no .gz
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"one\ntwo\n").unwrap();
        let mut bytes = enc.finish().unwrap();
        // A second member, as `cat a.gz b.gz` makes.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"three\n").unwrap();
        bytes.extend(enc.finish().unwrap());
        std::fs::write(&path, bytes).unwrap();
        let mut opened = open(&Source::File(path)).unwrap();
        assert!(opened.gzip);
        let mut text = String::new();
        opened.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "one\ntwo\nthree\n");
    }

    #[test]
    fn plain_file_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"x\n").unwrap();
        let opened = open(&Source::File(path)).unwrap();
        assert!(!opened.gzip);
        assert!(opened.modified.is_some());
        let missing = open(&Source::File(dir.path().join("nope.log")));
        let err = missing.err().unwrap().to_string();
        assert!(err.contains("nope.log"), "{err}");
        let dir_err = open(&Source::File(dir.path().to_path_buf())).err().unwrap();
        assert!(dir_err.to_string().contains("directory"));
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; 100_000]).unwrap();
        let bytes = enc.finish().unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let mut opened = open(&Source::File(path)).unwrap();
        let mut sink = Vec::new();
        assert!(opened.reader.read_to_end(&mut sink).is_err());
    }

    #[test]
    fn globs() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["b.log", "a.log", "c.txt"] {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        let pat = format!("{}/*.log", dir.path().display());
        let got = expand_args(&[pat, "-".into(), format!("{}/*.none", dir.path().display())]);
        assert_eq!(got.len(), 4);
        assert_eq!(
            got[0].as_ref().unwrap(),
            &Source::File(dir.path().join("a.log"))
        );
        assert_eq!(
            got[1].as_ref().unwrap(),
            &Source::File(dir.path().join("b.log"))
        );
        assert_eq!(got[2].as_ref().unwrap(), &Source::Stdin);
        assert!(matches!(got[3], Err(IngestError::NoMatch { .. })));
    }
}
