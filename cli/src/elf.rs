//! Just enough ELF to decide how a program can be sandboxed: its class and machine,
//! and whether it names a dynamic loader (PT_INTERP) or is static.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Dynamically linked: the loader named by PT_INTERP.
    Dynamic { interp: String },
    /// No PT_INTERP: static (ET_EXEC) or static-pie (ET_DYN).
    Static,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Elf(Kind),
    /// `#!INTERPRETER [ARG]`: the kernel runs the interpreter.
    Script { interp: String },
    /// Neither: the kernel would refuse it (ENOEXEC).
    Unknown,
}

/// Why a file is not an ELF program this host can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    /// ELF, but 32-bit, big-endian or for another machine.
    ForeignMachine(String),
    /// ELF, but not an executable (relocatable object, core file) or malformed.
    NotExecutable(String),
}

const PT_INTERP: u32 = 3;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
#[cfg(target_arch = "x86_64")]
const EM_HOST: u16 = 62;
#[cfg(target_arch = "aarch64")]
const EM_HOST: u16 = 183;

pub fn inspect(path: &Path) -> std::io::Result<Result<Format, Unfit>> {
    let mut f = File::open(path)?;
    let mut head = [0u8; 64];
    let n = read_up_to(&mut f, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"#!") {
        let mut line = head.to_vec();
        // The kernel reads at most 256 bytes of the first line (BINPRM_BUF_SIZE).
        let mut more = [0u8; 192];
        let m = read_up_to(&mut f, &mut more)?;
        line.extend_from_slice(&more[..m]);
        let line = line[2..].split(|b| *b == b'\n').next().unwrap_or(&[]);
        let text = String::from_utf8_lossy(line);
        let interp = text.split([' ', '\t']).find(|w| !w.is_empty()).unwrap_or("").to_string();
        return Ok(Ok(Format::Script { interp }));
    }
    if !head.starts_with(b"\x7fELF") {
        return Ok(Ok(Format::Unknown));
    }
    if head.len() < 64 || head[4] != 2 || head[5] != 1 {
        return Ok(Err(Unfit::ForeignMachine("not a 64-bit little-endian ELF file".into())));
    }
    let u16_at = |o: usize| u16::from_le_bytes([head[o], head[o + 1]]);
    let u64_at = |o: usize| u64::from_le_bytes(head[o..o + 8].try_into().expect("8 bytes"));
    let (e_type, machine) = (u16_at(16), u16_at(18));
    if machine != EM_HOST {
        return Ok(Err(Unfit::ForeignMachine(format!("built for ELF machine {machine}, this host is {EM_HOST}"))));
    }
    if e_type != ET_EXEC && e_type != ET_DYN {
        return Ok(Err(Unfit::NotExecutable(format!("ELF type {e_type} is not an executable"))));
    }
    let (phoff, phentsize, phnum) = (u64_at(32), u16_at(54) as u64, u16_at(56) as u64);
    if phentsize < 56 || phnum == 0 || phnum > 4096 {
        return Ok(Err(Unfit::NotExecutable("no program headers".into())));
    }
    let mut table = vec![0u8; (phentsize * phnum) as usize];
    f.seek(SeekFrom::Start(phoff))?;
    if read_up_to(&mut f, &mut table)? != table.len() {
        return Ok(Err(Unfit::NotExecutable("truncated program headers".into())));
    }
    for ph in table.chunks(phentsize as usize) {
        let p_type = u32::from_le_bytes(ph[0..4].try_into().expect("4 bytes"));
        if p_type != PT_INTERP {
            continue;
        }
        let offset = u64::from_le_bytes(ph[8..16].try_into().expect("8 bytes"));
        let size = u64::from_le_bytes(ph[32..40].try_into().expect("8 bytes")).min(4096);
        let mut interp = vec![0u8; size as usize];
        f.seek(SeekFrom::Start(offset))?;
        let got = read_up_to(&mut f, &mut interp)?;
        let interp = &interp[..got];
        let interp = interp.split(|b| *b == 0).next().unwrap_or(&[]);
        return Ok(Ok(Format::Elf(Kind::Dynamic { interp: String::from_utf8_lossy(interp).into_owned() })));
    }
    Ok(Ok(Format::Elf(Kind::Static)))
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_is_dynamic_with_a_glibc_loader() {
        let me = std::env::current_exe().unwrap();
        match inspect(&me).unwrap().unwrap() {
            Format::Elf(Kind::Dynamic { interp }) => assert!(interp.contains("ld-linux"), "{interp}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scripts_and_junk() {
        let dir = std::env::temp_dir().join(format!("sandbox-elf-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("s");
        std::fs::write(&script, "#!  /bin/sh -e\necho\n").unwrap();
        assert_eq!(inspect(&script).unwrap(), Ok(Format::Script { interp: "/bin/sh".into() }));
        let junk = dir.join("j");
        std::fs::write(&junk, "hello").unwrap();
        assert_eq!(inspect(&junk).unwrap(), Ok(Format::Unknown));
        std::fs::write(&junk, b"\x7fELF\x01\x01").unwrap();
        assert!(matches!(inspect(&junk).unwrap(), Err(Unfit::ForeignMachine(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
