//! A compressed tar (`.tar.gz`, `.tgz`): one pass over the decompressed stream, which cannot
//! seek. What reading needs of each member is kept as it goes by: the bytes of annotations and
//! split files (within their caps), the header facts of images; everything else is skipped
//! (inflated and dropped). Memory: the kept annotation and split bytes, plus a few hundred
//! bytes per image.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::{BombGuard, Counted, Data, Index, IMAGE_HEAD};
use crate::voc::image_header::image_info_from;
use crate::voc::images::IMAGE_EXTENSIONS;
use crate::voc::input::InputKind;

/// Indexes the members of the compressed tar `file` into `index`, keeping what reading needs;
/// damage (a corrupt or truncated stream) ends the pass with a problem.
pub(super) fn index(file: &Arc<File>, index: &mut Index) {
    index.stream = true;
    let compressed = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: std::io::BufReader::with_capacity(1 << 16, &**file),
        count: compressed.clone(),
    };
    let inflated = BombGuard {
        inner: flate2::read::MultiGzDecoder::new(counted),
        compressed,
        out: 0,
    };
    let mut archive = ::tar::Archive::new(inflated);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return index.damage(0, None, e),
    };
    let mut end = 0;
    let mut last: Option<String> = None;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => return index.damage(end, last.as_deref(), e),
        };
        let size = entry.size();
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let ty = super::tar::member_type(&entry);
        if let Some(name) = index.admit(&raw, ty) {
            let data = match keep(&name, size, &mut entry, index.shown(&name)) {
                Ok(d) => d,
                Err(e) => return index.damage(entry.raw_file_position(), Some(&shown), e),
            };
            index.insert(name, data);
        }
        end = entry.raw_file_position() + size.div_ceil(512) * 512;
        last = Some(shown);
    }
    // The rest of the stream (the end blocks, padding) is read to its end, so that the gzip
    // trailer's checksum and length are checked.
    if let Err(e) = std::io::copy(&mut archive.into_inner(), &mut std::io::sink()) {
        index.damage(end, last.as_deref(), e);
    }
}

/// What is kept of member `name` (`size` bytes, as its header says), read from `data`:
/// annotations and split files whole (within their caps), images' header facts.
fn keep(name: &str, size: u64, data: &mut impl Read, shown: PathBuf) -> std::io::Result<Data> {
    let lower = name.to_ascii_lowercase();
    let kind = if lower.ends_with(".xml") {
        InputKind::Annotation
    } else if lower.ends_with(".txt") {
        InputKind::Split
    } else if is_image_name(name) {
        let mut head = Vec::new();
        data.take(IMAGE_HEAD).read_to_end(&mut head)?;
        let info = image_info_from(&shown, std::io::Cursor::new(head));
        return Ok(Data::Image(info));
    } else {
        return Ok(Data::NotKept);
    };
    if size > kind.cap() {
        return Ok(Data::TooLarge(kind, size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    data.take(size).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < size {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the stream ends inside member {name}: it is truncated"),
        ));
    }
    Ok(Data::Kept(bytes.into_boxed_slice()))
}

/// Whether `name` has one of the image extensions images are looked up by.
fn is_image_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| IMAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}
