#!/usr/bin/env python3
"""Writes protos/: the subset of the official Envoy v3 API named in scripts/envoy-api-manifest.txt.

The source of truth is the descriptor set shipped in the PyPI package `xds-protos`, so package
names, message names, field numbers, types, labels and oneofs are Envoy's own. Only the fields
listed in the manifest are kept; enums used by kept fields are kept whole.

Usage: .venv/bin/python scripts/trim-envoy-protos.py [OUTPUT_DIR]   (default: protos)
"""
import importlib
import os
import pkgutil
import sys
from collections import defaultdict

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import FieldDescriptor as FD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "scripts", "envoy-api-manifest.txt")

SCALARS = {
    FD.TYPE_DOUBLE: "double", FD.TYPE_FLOAT: "float", FD.TYPE_INT64: "int64",
    FD.TYPE_UINT64: "uint64", FD.TYPE_INT32: "int32", FD.TYPE_FIXED64: "fixed64",
    FD.TYPE_FIXED32: "fixed32", FD.TYPE_BOOL: "bool", FD.TYPE_STRING: "string",
    FD.TYPE_BYTES: "bytes", FD.TYPE_UINT32: "uint32", FD.TYPE_SFIXED32: "sfixed32",
    FD.TYPE_SFIXED64: "sfixed64", FD.TYPE_SINT32: "sint32", FD.TYPE_SINT64: "sint64",
}


def load_official_pool():
    """Imports every generated module of xds-protos so the default pool knows every Envoy type."""
    import envoy
    for package in (envoy,):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith("_pb2"):
                try:
                    importlib.import_module(info.name)
                except Exception:  # a few optional modules need packages we do not use
                    pass
    importlib.import_module("google.rpc.status_pb2")
    return descriptor_pool.Default()


def read_manifest():
    messages, services = {}, []
    with open(MANIFEST) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("service "):
                services.append(line.split()[1])
                continue
            name, _, fields = line.partition(":")
            if not _:
                sys.exit(f"{MANIFEST}:{number}: expected 'message.full.Name: field ...'")
            messages[name.strip()] = fields.split()
    return messages, services


def is_well_known(file_name):
    return file_name.startswith("google/protobuf/")


def is_synthetic_oneof(oneof):
    return oneof.name.startswith("_") and len(oneof.fields) == 1 and oneof.fields[0].name == oneof.name[1:]


class Trimmer:
    def __init__(self, pool, manifest, services):
        self.pool = pool
        self.kept = {}  # message full name -> set of kept field names
        self.enums = set()
        self.services = [pool.FindServiceByName(name) for name in services]
        for name, fields in manifest.items():
            message = self.message(name)
            official = {f.name for f in message.fields}
            missing = [f for f in fields if f not in official]
            if missing:
                sys.exit(f"manifest: {name} has no field(s) {', '.join(missing)}")
            self.keep(message, fields)
        self.close_over_references()

    def message(self, name):
        try:
            return self.pool.FindMessageTypeByName(name)
        except KeyError:
            sys.exit(f"manifest: no message {name} in xds-protos")

    def keep(self, message, fields=()):
        self.kept.setdefault(message.full_name, set()).update(fields)
        if message.containing_type is not None:
            self.keep(message.containing_type)

    def kept_fields(self, message):
        names = self.kept.get(message.full_name, set())
        return [f for f in message.fields if f.name in names]

    def close_over_references(self):
        """Every message type used by a kept field must be listed; map entries and enums come along."""
        missing = set()
        for name in list(self.kept):
            message = self.pool.FindMessageTypeByName(name)
            for field in self.kept_fields(message):
                for used in self.types_used_by(field):
                    if used.__class__.__name__ == "EnumDescriptor":
                        self.enums.add(used.full_name)
                        if used.containing_type is not None:
                            self.keep(used.containing_type)
                    elif used.GetOptions().map_entry:
                        self.keep(used, [f.name for f in used.fields])
                    elif not is_well_known(used.file.name) and used.full_name not in self.kept:
                        missing.add(f"{used.full_name} (used by {message.full_name}.{field.name})")
        for service in self.services:
            for method in service.methods:
                for used in (method.input_type, method.output_type):
                    if used.full_name not in self.kept:
                        missing.add(f"{used.full_name} (used by {service.full_name}.{method.name})")
        if missing:
            sys.exit("manifest: list these messages too:\n  " + "\n  ".join(sorted(missing)))

    def types_used_by(self, field):
        if field.message_type is not None:
            yield field.message_type
            if field.message_type.GetOptions().map_entry:
                yield from self.types_used_by(field.message_type.fields_by_name["value"])
        if field.enum_type is not None:
            yield field.enum_type

    # ---- rendering ----

    def files(self):
        by_file = defaultdict(list)
        for name in self.kept:
            message = self.pool.FindMessageTypeByName(name)
            if message.containing_type is None:
                by_file[message.file.name].append(message)
        for name in self.enums:
            enum = self.pool.FindEnumTypeByName(name)
            if enum.containing_type is None:
                by_file[enum.file.name].append(enum)
        for service in self.services:
            by_file[service.file.name].append(service)
        return by_file

    def render_file(self, file_name, top_level):
        file = self.pool.FindFileByName(file_name)
        order = {name: i for i, name in enumerate(
            list(file.message_types_by_name) + list(file.enum_types_by_name) + list(file.services_by_name))}
        top_level.sort(key=lambda d: order[d.name])
        body = []
        for item in top_level:
            kind = item.__class__.__name__
            if kind == "ServiceDescriptor":
                body += self.render_service(item)
            elif kind == "EnumDescriptor":
                body += self.render_enum(item, "")
            else:
                body += self.render_message(item, "")
            body.append("")
        imports = sorted(self.imports_of(file_name, top_level))
        header = [
            "// Trimmed from the official Envoy API file of the same path (PyPI xds-protos) by",
            "// scripts/trim-envoy-protos.py following scripts/envoy-api-manifest.txt. Do not edit.",
            'syntax = "proto3";',
            "",
            f"package {file.package};",
            "",
        ]
        header += [f'import "{path}";' for path in imports]
        if imports:
            header.append("")
        return "\n".join(header + body).rstrip() + "\n"

    def imports_of(self, file_name, top_level):
        used_files = set()

        def visit(message):
            for field in self.kept_fields(message):
                for used in self.types_used_by(field):
                    used_files.add(used.file.name)
            for nested in message.nested_types:
                if nested.full_name in self.kept:
                    visit(nested)

        for item in top_level:
            kind = item.__class__.__name__
            if kind == "Descriptor":
                visit(item)
            elif kind == "ServiceDescriptor":
                for method in item.methods:
                    used_files.update({method.input_type.file.name, method.output_type.file.name})
        used_files.discard(file_name)
        return used_files

    def render_enum(self, enum, indent):
        lines = [f"{indent}enum {enum.name} {{"]
        if enum.GetOptions().allow_alias:
            lines.append(f"{indent}  option allow_alias = true;")
        lines += [f"{indent}  {value.name} = {value.number};" for value in enum.values]
        return lines + [f"{indent}}}"]

    def render_message(self, message, indent):
        lines = [f"{indent}message {message.name} {{"]
        inner = indent + "  "
        for enum in message.enum_types:
            if enum.full_name in self.enums:
                lines += self.render_enum(enum, inner)
        for nested in message.nested_types:
            if nested.full_name in self.kept and not nested.GetOptions().map_entry:
                lines += self.render_message(nested, inner)
        emitted_oneofs = set()
        for field in self.kept_fields(message):
            oneof = field.containing_oneof
            if oneof is not None and not is_synthetic_oneof(oneof):
                if oneof.name in emitted_oneofs:
                    continue
                emitted_oneofs.add(oneof.name)
                lines.append(f"{inner}oneof {oneof.name} {{")
                lines += [f"{inner}  {self.render_field(f)}" for f in self.kept_fields(message)
                          if f.containing_oneof is not None and f.containing_oneof.name == oneof.name]
                lines.append(f"{inner}}}")
            else:
                lines.append(f"{inner}{self.render_field(field)}")
        return lines + [f"{indent}}}"]

    def render_field(self, field):
        label = ""
        if field.is_repeated and not (field.message_type and field.message_type.GetOptions().map_entry):
            label = "repeated "
        elif field.containing_oneof is not None and is_synthetic_oneof(field.containing_oneof):
            label = "optional "
        return f"{label}{self.type_name(field)} {field.name} = {field.number};"

    def type_name(self, field):
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
                return f"map<{self.type_name(key)}, {self.type_name(value)}>"
            return "." + field.message_type.full_name
        if field.enum_type is not None:
            return "." + field.enum_type.full_name
        return SCALARS[field.type]

    def render_service(self, service):
        lines = [f"service {service.name} {{"]
        for method in service.methods:
            request = ("stream " if method.client_streaming else "") + "." + method.input_type.full_name
            response = ("stream " if method.server_streaming else "") + "." + method.output_type.full_name
            lines.append(f"  rpc {method.name}({request}) returns ({response});")
        return lines + ["}"]


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "protos")
    manifest, services = read_manifest()
    trimmer = Trimmer(load_official_pool(), manifest, services)
    for file_name, top_level in sorted(trimmer.files().items()):
        path = os.path.join(output, file_name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(trimmer.render_file(file_name, top_level))
        print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
