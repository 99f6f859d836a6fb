//! Policy fragments that cases put together. Plain TOML text on purpose: the tests
//! hold the library to the contract's spelling, so they write it out.

use std::fs;
use std::path::Path;

/// A read-only bind of `source` at `target`.
pub fn bind(source: &str, target: &str) -> String {
    format!("[[mount]]\ntype = \"bind\"\nsource = \"{source}\"\ntarget = \"{target}\"\n")
}

/// A writable bind of `source` at `target`.
pub fn bind_rw(source: &str, target: &str) -> String {
    format!("[[mount]]\ntype = \"bind\"\nsource = \"{source}\"\ntarget = \"{target}\"\nwritable = true\n")
}

/// The case's `out/` directory (mode 0777 on the host), bound writable at the same path.
pub fn out() -> String {
    "[[mount]]\ntype = \"bind\"\nsource = \"{dir}/out\"\nwritable = true\n".to_string()
}

pub fn tmpfs(target: &str) -> String {
    format!("[[mount]]\ntype = \"tmpfs\"\ntarget = \"{target}\"\n")
}

pub fn symlink(link_text: &str, target: &str) -> String {
    format!("[[mount]]\ntype = \"symlink\"\nsource = \"{link_text}\"\ntarget = \"{target}\"\n")
}

/// What real programs need: /usr, /bin, /sbin, /lib, /lib64, /lib32 and /etc as
/// they are on this host (a directory bound read-only, a symlink — merged /usr —
/// recreated as the same symlink), and a tmpfs /tmp.
pub fn system() -> String {
    let mut policy = String::new();
    for dir in ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc"] {
        let path = Path::new(dir);
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let text = fs::read_link(path).unwrap();
                policy += &symlink(&text.to_string_lossy(), dir);
            }
            Ok(meta) if meta.is_dir() => policy += &bind(dir, dir),
            _ => {}
        }
    }
    policy + &tmpfs("/tmp")
}

/// The names of the host's network interfaces.
pub fn host_interfaces() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir("/sys/class/net")
        .expect("read /sys/class/net")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A file under `dir` of the host that root may open for writing (mode u+w), if any.
pub fn root_writable_file_under(dir: &str) -> Option<String> {
    fn walk(dir: &Path, depth: usize) -> Option<String> {
        if depth > 4 {
            return None;
        }
        let mut entries: Vec<_> = fs::read_dir(dir).ok()?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in &entries {
            let meta = fs::symlink_metadata(entry.path()).ok()?;
            use std::os::unix::fs::PermissionsExt;
            if meta.is_file() && meta.permissions().mode() & 0o200 != 0 {
                return Some(entry.path().display().to_string());
            }
        }
        entries
            .iter()
            .filter(|e| e.path().is_dir())
            .find_map(|e| walk(&e.path(), depth + 1))
    }
    walk(Path::new(dir), 0)
}
