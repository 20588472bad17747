//! An uncompressed tar: one front-to-back pass over the 512-byte headers, seeking over each
//! member's data; members are then read at their offsets.

use std::fs::File;
use std::sync::Arc;

use super::{Data, Index, MemberType, Slice};

/// The size of a tar block.
const BLOCK: u64 = 512;

/// Indexes the members of the tar `file` into `index`; damage ends the pass with a problem.
pub(super) fn index(file: &Arc<File>, index: &mut Index) {
    let whole = match Slice::whole(file.clone()) {
        Ok(s) => s,
        Err(e) => return index.damage(0, None, e),
    };
    let len = whole.len;
    let mut archive = ::tar::Archive::new(whole);
    let entries = match archive.entries_with_seek() {
        Ok(e) => e,
        Err(e) => return index.damage(0, None, e),
    };
    let mut end = 0;
    let mut last: Option<String> = None;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => return index.damage(end, last.as_deref(), e),
        };
        let (offset, size) = (entry.raw_file_position(), entry.size());
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        if offset.saturating_add(size) > len {
            let why = format!(
                "the file ends inside member {shown} ({size} bytes from byte {offset}, the file \
                 has {len}): it is truncated"
            );
            return index.damage(entry.raw_header_position(), last.as_deref(), why);
        }
        let ty = member_type(&entry);
        if let Some(name) = index.admit(&raw, ty) {
            index.insert(name, Data::At { offset, size });
        }
        end = offset + size.div_ceil(BLOCK) * BLOCK;
        last = Some(shown);
    }
    if !ends_with_marker(file, end, len) {
        let why = "the file ends there without the end-of-archive blocks: it is truncated";
        index.damage(end.min(len), last.as_deref(), why);
    }
}

/// Whether the block at `end` is the zero block that ends a tar.
fn ends_with_marker(file: &Arc<File>, end: u64, len: u64) -> bool {
    use std::io::Read;
    if end + BLOCK > len {
        return false;
    }
    let mut block = [0u8; BLOCK as usize];
    Slice::new(file.clone(), end, BLOCK)
        .read_exact(&mut block)
        .is_ok_and(|()| block.iter().all(|&b| b == 0))
}

/// What a tar member is.
pub(super) fn member_type<R: std::io::Read>(entry: &::tar::Entry<'_, R>) -> MemberType {
    use ::tar::EntryType as T;
    let target = || {
        entry
            .link_name_bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    match entry.header().entry_type() {
        T::Regular | T::Continuous => MemberType::File,
        T::Directory => MemberType::Dir,
        T::Symlink => MemberType::Symlink(target()),
        T::Link => MemberType::HardLink(target()),
        T::Char | T::Block => MemberType::Other("a device"),
        T::Fifo => MemberType::Other("a FIFO"),
        T::GNUSparse => MemberType::Other("a sparse file"),
        T::XGlobalHeader => MemberType::Meta,
        _ => MemberType::Other("a member of an unknown type"),
    }
}
