#!/usr/bin/env python3
"""Checks protos/ against the official Envoy descriptors shipped in the PyPI package `xds-protos`.

Every message, field, enum value and RPC in protos/ must exist in the official API with the same
full name, field number, type, type name, label and oneof. Exit status 1 names each mismatch.

Usage: .venv/bin/python scripts/check-envoy-protos.py
"""
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
trim = __import__("trim-envoy-protos")

ROOT = trim.ROOT
PROTOS = os.path.join(ROOT, "protos")
WELL_KNOWN_INCLUDE = "/usr/include"  # Debian's libprotobuf-dev


def compile_ours():
    files = sorted(os.path.relpath(os.path.join(d, f), PROTOS)
                   for d, _, names in os.walk(PROTOS) for f in names if f.endswith(".proto"))
    with tempfile.NamedTemporaryFile(suffix=".pb") as out:
        subprocess.run(["protoc", f"-I{PROTOS}", f"-I{WELL_KNOWN_INCLUDE}", f"--descriptor_set_out={out.name}", *files],
                       check=True)
        data = open(out.name, "rb").read()
    return descriptor_pb2.FileDescriptorSet.FromString(data), files


def real_oneof(message, field):
    if not field.HasField("oneof_index") or field.proto3_optional:
        return None
    return message.oneof_decl[field.oneof_index].name


def official_label(field):
    return descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED if field.is_repeated else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL


def check_message(pool, package, message, problems, scope=""):
    full_name = f"{scope or package}.{message.name}"
    try:
        official = pool.FindMessageTypeByName(full_name)
    except KeyError:
        problems.append(f"{full_name}: no such message in the official API")
        return 0
    checked = 0
    for field in message.field:
        checked += 1
        where = f"{full_name}.{field.name}"
        theirs = official.fields_by_name.get(field.name)
        if theirs is None:
            problems.append(f"{where}: no such field in the official API")
            continue
        if field.number != theirs.number:
            problems.append(f"{where}: number {field.number}, official {theirs.number}")
        if field.type != theirs.type:
            problems.append(f"{where}: type {field.type}, official {theirs.type}")
        their_type = (theirs.message_type or theirs.enum_type)
        their_type_name = "." + their_type.full_name if their_type else ""
        if field.type_name != their_type_name:
            problems.append(f"{where}: type {field.type_name}, official {their_type_name}")
        if field.label != official_label(theirs):
            problems.append(f"{where}: label {field.label}, official {official_label(theirs)}")
        their_oneof = theirs.containing_oneof.name if theirs.containing_oneof and not trim.is_synthetic_oneof(theirs.containing_oneof) else None
        if real_oneof(message, field) != their_oneof:
            problems.append(f"{where}: oneof {real_oneof(message, field)}, official {their_oneof}")
    for enum in message.enum_type:
        checked += check_enum(pool, full_name, enum, problems)
    for nested in message.nested_type:
        if not nested.options.map_entry:
            checked += check_message(pool, package, nested, problems, full_name)
    return checked


def check_enum(pool, scope, enum, problems):
    full_name = f"{scope}.{enum.name}"
    try:
        official = pool.FindEnumTypeByName(full_name)
    except KeyError:
        problems.append(f"{full_name}: no such enum in the official API")
        return 0
    for value in enum.value:
        theirs = official.values_by_name.get(value.name)
        if theirs is None or theirs.number != value.number:
            problems.append(f"{full_name}.{value.name}: {value.number}, official {theirs and theirs.number}")
    return len(enum.value)


def check_service(pool, package, service, problems):
    full_name = f"{package}.{service.name}"
    official = pool.FindServiceByName(full_name)
    for method in service.method:
        theirs = official.methods_by_name.get(method.name)
        ours = (method.input_type, method.output_type, method.client_streaming, method.server_streaming)
        if theirs is None or ours != ("." + theirs.input_type.full_name, "." + theirs.output_type.full_name,
                                      theirs.client_streaming, theirs.server_streaming):
            problems.append(f"{full_name}.{method.name}: signature differs from the official API")
    return len(service.method)


def main():
    pool = trim.load_official_pool()
    ours, files = compile_ours()
    problems, checked = [], 0
    for file in ours.file:
        if file.name not in files:
            continue
        if pool.FindFileByName(file.name).package != file.package:
            problems.append(f"{file.name}: package {file.package} differs from the official file")
        for message in file.message_type:
            checked += check_message(pool, file.package, message, problems)
        for enum in file.enum_type:
            checked += check_enum(pool, file.package, enum, problems)
        for service in file.service:
            checked += check_service(pool, file.package, service, problems)
    for problem in problems:
        print(f"MISMATCH {problem}")
    print(f"envoy-protos: {len(files)} files, {checked} fields/values/methods checked against xds-protos, "
          f"{len(problems)} mismatches")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
