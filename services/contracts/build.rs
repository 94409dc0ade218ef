//! Compiles `proto/` with protox (pure Rust, no system `protoc`), generates
//! the messages with prost and their proto3 JSON mapping with pbjson, and
//! writes a registry of every event message (those of `events.proto` files)
//! with a sample payload that sets every field, for the round-trip test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_bytes = fds.encode_to_vec();
    std::fs::write(out.join("descriptors.bin"), &descriptor_bytes)?;

    let mut config = prost_build::Config::new();
    config.enable_type_names();
    config.compile_fds(fds.clone())?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .build(&[".creneau"])?;

    std::fs::write(out.join("registry.rs"), registry(&fds))?;
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            files.push(path);
        }
    }
    Ok(())
}

/// `registry.rs`: one entry per message of an `events.proto` file.
fn registry(fds: &FileDescriptorSet) -> String {
    let mut code = String::from(
        "/// Every event message of `proto/`: its type name, a sample payload that sets\n\
         /// every field, and a JSON round trip through the generated type.\n\
         pub static EVENT_TYPES: &[EventType] = &[\n",
    );
    for file in &fds.file {
        if !file.name().ends_with("events.proto") {
            continue;
        }
        let package = file.package();
        let module = package
            .strip_prefix("creneau.")
            .unwrap_or(package)
            .replace('.', "::");
        for message in &file.message_type {
            let full = format!("{package}.{}", message.name());
            let sample = sample_message(fds, message, 0).to_string();
            let _ = writeln!(
                code,
                "    EventType {{ name: {full:?}, sample: {sample:?}, roundtrip: roundtrip::<crate::proto::{module}::{name}> }},",
                name = message.name()
            );
        }
    }
    code.push_str("];\n");
    code
}

fn find_message<'a>(fds: &'a FileDescriptorSet, type_name: &str) -> Option<&'a DescriptorProto> {
    let name = type_name.trim_start_matches('.');
    fds.file.iter().find_map(|f| {
        f.message_type
            .iter()
            .find(|m| format!("{}.{}", f.package(), m.name()) == name)
    })
}

fn first_enum_value(fds: &FileDescriptorSet, type_name: &str) -> Value {
    let name = type_name.trim_start_matches('.');
    fds.file
        .iter()
        .flat_map(|f| {
            f.enum_type
                .iter()
                .map(move |e| (format!("{}.{}", f.package(), e.name()), e))
        })
        .find(|(full, _)| full == name)
        .and_then(|(_, e)| {
            e.value
                .iter()
                .find(|v| v.number() != 0)
                .map(|v| json!(v.name()))
        })
        .unwrap_or(Value::Null)
}

/// A JSON value for `message` in the proto3 JSON mapping, every field set to
/// something other than its default (only the first field of a oneof).
fn sample_message(fds: &FileDescriptorSet, message: &DescriptorProto, depth: usize) -> Value {
    let mut object = Map::new();
    let mut oneofs_seen = std::collections::HashSet::new();
    for field in &message.field {
        if let Some(i) = field.oneof_index
            && !field.proto3_optional()
            && !oneofs_seen.insert(i)
        {
            continue;
        }
        let value = match field.r#type() {
            Type::String => json!(format!("sample {}", field.name())),
            Type::Bytes => json!("AQID"),
            Type::Bool => json!(true),
            Type::Int32 | Type::Uint32 | Type::Sint32 | Type::Fixed32 | Type::Sfixed32 => json!(7),
            Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64 => {
                json!("7")
            }
            Type::Double | Type::Float => json!(1.5),
            Type::Enum => first_enum_value(fds, field.type_name()),
            Type::Message | Type::Group => match find_message(fds, field.type_name()) {
                Some(m) if depth < 4 => sample_message(fds, m, depth + 1),
                _ => continue,
            },
        };
        let value = if field.label() == Label::Repeated {
            json!([value])
        } else {
            value
        };
        object.insert(field.json_name().to_owned(), value);
    }
    Value::Object(object)
}
