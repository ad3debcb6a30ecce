//! Where an `include = ...` points.
//!
//! Kannel opens the path as written, so a relative path is relative to the
//! working directory. Configurations are also commonly written expecting it
//! relative to the including file, so we try that first and the working
//! directory second: both kinds of real files load. `include_roots` rewrite a
//! leading part of the path as written (`/etc/kannel` → a test folder).

use std::path::{Path, PathBuf};

/// The candidates for an include, in the order they are tried.
pub fn candidates(
    written: &str,
    including_file: &Path,
    roots: &[(PathBuf, PathBuf)],
) -> Vec<PathBuf> {
    let path = Path::new(written);
    let mut out = Vec::new();
    for (prefix, replacement) in roots {
        if let Ok(rest) = path.strip_prefix(prefix) {
            out.push(replacement.join(rest));
        }
    }
    if path.is_absolute() {
        out.push(path.to_path_buf());
    } else {
        if let Some(dir) = including_file.parent() {
            out.push(dir.join(path));
        }
        out.push(path.to_path_buf());
    }
    out.dedup();
    out
}

/// The files an existing include target stands for: itself, or every
/// regular file of a directory, sorted by name so that the result does not
/// depend on the file system's order (Kannel uses readdir order, and also
/// takes devices and sockets, which cannot hold a configuration).
pub fn files_of(target: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !target.is_dir() {
        return Ok(vec![target.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(target)? {
        let entry = entry?;
        let path = entry.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_include_tries_the_including_folder_then_the_working_directory() {
        let c = candidates("./modems.conf", Path::new("/a/b/kannel.conf"), &[]);
        assert_eq!(
            c,
            vec![
                PathBuf::from("/a/b/./modems.conf"),
                PathBuf::from("./modems.conf")
            ]
        );
    }

    #[test]
    fn absolute_include_is_rewritten_through_the_roots_first() {
        let roots = vec![(PathBuf::from("/etc/kannel"), PathBuf::from("/corpus/x"))];
        let c = candidates("/etc/kannel//modems.conf", Path::new("k.conf"), &roots);
        assert_eq!(
            c,
            vec![
                PathBuf::from("/corpus/x/modems.conf"),
                PathBuf::from("/etc/kannel//modems.conf")
            ]
        );
    }
}
