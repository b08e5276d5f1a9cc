//! The built SPA, compressed ahead of time (`lanyard precompress dist`): a `.br` (brotli, quality 11)
//! and a `.gz` (gzip, level 9) beside each text or wasm file, which `serve` sends to browsers that
//! accept them. Done once at build time, so no request pays for compression.

use std::io::Write;
use std::path::Path;

/// Files smaller than this are sent as they are: compression would save less than a packet.
const MIN_BYTES: u64 = 1024;
/// What is worth compressing (already-compressed images and fonts are not).
const EXTENSIONS: &[&str] = &["wasm", "js", "css", "html", "svg", "json", "txt", "map"];

/// Compresses every suitable file under `dir` (recursively); one line per file written.
pub fn directory(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut report = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            report.extend(directory(&path)?);
            continue;
        }
        let suitable = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e));
        if !suitable || std::fs::metadata(&path)?.len() < MIN_BYTES {
            continue;
        }
        let original = std::fs::read(&path)?;
        let brotli = brotli_bytes(&original)?;
        let gzip = gzip_bytes(&original)?;
        std::fs::write(with_suffix(&path, "br"), &brotli)?;
        std::fs::write(with_suffix(&path, "gz"), &gzip)?;
        report.push(format!(
            "{}: {} bytes, brotli {}, gzip {}",
            path.display(),
            original.len(),
            brotli.len(),
            gzip.len()
        ));
    }
    Ok(report)
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

fn brotli_bytes(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(input)?;
    }
    Ok(out)
}

fn gzip_bytes(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(input)?;
    encoder.finish()
}
