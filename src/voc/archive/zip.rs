//! A zip: the members from its central directory; each read inflates one member through its
//! own handle on the file (positional reads), so threads read in parallel.

use std::fs::File;
use std::io::Read;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use ::zip::ZipArchive;

use super::{ArchiveError, Bomb, Data, Index, MemberType, Slice, MAX_RATIO, RATIO_FLOOR};
use crate::voc::input::{InputError, InputKind};

/// Reads the central directory of the zip `file` into `index`.
pub(super) fn index(
    file: &Arc<File>,
    index: &mut Index,
) -> Result<ZipArchive<Slice>, ArchiveError> {
    let whole = Slice::whole(file.clone()).map_err(|e| ArchiveError::Open(e.to_string()))?;
    let mut zip = ZipArchive::new(whole).map_err(|e| ArchiveError::ZipDirectory(e.to_string()))?;
    // The zip crate keeps one record per name: names written twice are found in the directory
    // itself.
    let repeated = repeated_names(file, zip.central_directory_start());
    for i in 0..zip.len() {
        let name = zip.name_for_index(i).unwrap_or("?").to_string();
        let member = match zip.by_index_raw(i) {
            Ok(m) => m,
            Err(e) => {
                index.problem(
                    &name,
                    crate::findings::FindingKind::ArchiveDamaged,
                    format!("its local header cannot be read ({e}): the archive is damaged"),
                );
                continue;
            }
        };
        let raw = member.name_raw().to_vec();
        let ty = if member.is_dir() {
            MemberType::Dir
        } else if member.is_symlink() {
            MemberType::Symlink(String::new())
        } else if member.encrypted() {
            MemberType::Other("encrypted (a password is needed)")
        } else {
            MemberType::File
        };
        if let Some(name) = index.admit(&raw, ty) {
            if let Some(&copies) = repeated.get(&raw) {
                for _ in 0..copies {
                    index.refuse_repeat(&name);
                }
                continue;
            }
            index.insert(name, Data::Zip { index: i });
        }
    }
    Ok(zip)
}

/// Names that more than one record of the central directory (from `start` to the end of the
/// file) holds, with the number of records.
fn repeated_names(file: &Arc<File>, start: u64) -> std::collections::HashMap<Vec<u8>, usize> {
    let mut dir = Vec::new();
    let Ok(whole) = Slice::whole(file.clone()) else {
        return Default::default();
    };
    let len = whole.len;
    if Slice::new(file.clone(), start, len.saturating_sub(start))
        .take(1 << 30)
        .read_to_end(&mut dir)
        .is_err()
    {
        return Default::default();
    }
    let mut seen = std::collections::HashMap::<Vec<u8>, usize>::new();
    let mut at = 0;
    // Central file headers: signature, 42 bytes of fields, then name, extra field, comment.
    while at + 46 <= dir.len() && dir[at..at + 4] == [0x50, 0x4b, 0x01, 0x02] {
        let u16_at = |k: usize| u16::from_le_bytes([dir[at + k], dir[at + k + 1]]) as usize;
        let (name_len, extra, comment) = (u16_at(28), u16_at(30), u16_at(32));
        let Some(name) = dir.get(at + 46..at + 46 + name_len) else {
            break;
        };
        *seen.entry(name.to_vec()).or_default() += 1;
        at += 46 + name_len + extra + comment;
    }
    seen.retain(|_, &mut n| n > 1);
    seen
}

/// Reads member `index` (a `kind` file) into `buf`, within `cap` bytes and [`MAX_RATIO`]
/// times its compressed size, whatever its header says.
pub(super) fn read(
    zip: &ZipArchive<Slice>,
    index: usize,
    kind: InputKind,
    cap: u64,
    buf: &mut Vec<u8>,
) -> Result<(), InputError> {
    let mut zip = zip.clone();
    let mut member = zip
        .by_index(index)
        .map_err(|e| InputError::Read(e.to_string()))?;
    if member.size() > cap {
        return Err(InputError::TooLarge {
            kind,
            size: member.size(),
        });
    }
    let compressed = member.compressed_size();
    let mut guarded = guard(&mut member, compressed);
    guarded
        .by_ref()
        .take(cap + 1)
        .read_to_end(buf)
        .map_err(
            |e| match e.get_ref().and_then(|i| i.downcast_ref::<Bomb>()) {
                Some(bomb) => InputError::Inflates(bomb.to_string()),
                None => InputError::Read(e.to_string()),
            },
        )?;
    if buf.len() as u64 > cap {
        return Err(InputError::TooLarge {
            kind,
            size: buf.len() as u64,
        });
    }
    Ok(())
}

/// `reader` stopped past [`MAX_RATIO`] times `compressed` bytes.
fn guard<R: Read>(reader: R, compressed: u64) -> impl Read {
    // A member's compressed size is known up front: the guard compares with all of it.
    let counted = Arc::new(AtomicU64::new(compressed.max(RATIO_FLOOR / MAX_RATIO)));
    super::BombGuard {
        inner: reader,
        compressed: counted,
        out: 0,
    }
}

/// The first `limit` bytes of member `index`, inflated (an image's header).
pub(super) fn read_head(
    zip: &ZipArchive<Slice>,
    index: usize,
    limit: u64,
    head: &mut Vec<u8>,
) -> Result<(), String> {
    let mut zip = zip.clone();
    let mut member = zip.by_index(index).map_err(|e| e.to_string())?;
    let compressed = member.compressed_size();
    let mut guarded = guard(&mut member, compressed);
    let read = guarded.by_ref().take(limit).read_to_end(head);
    read.map(drop).map_err(|e| e.to_string())
}
