//! A small model for tests, with every kind of shape the tables know: blobs, floats,
//! booleans, integers, timestamps, enums, maps, lists, a recursive structure, and members
//! with and without documentation, in an order that exercises ruamel.yaml's comment columns.

use rolecall_service_model::{Kind, Member, Operation, Protocol, Service, Shape, ShapeId};

static SHAPES: &[Shape] = &[
    Shape {
        name: "In",
        kind: Kind::Structure {
            members: &[
                member("Alpha", 1, "Some bytes."),
                member("Beta", 2, ""),
                member("Delta", 3, ""),
                member("Echo", 4, ""),
                member("Charlie", 7, "Nodes by name."),
                member("Zulu", 8, ""),
                member("Able", 5, "When it happens."),
            ],
            required: &["Delta"],
        },
    },
    shape("Bytes", Kind::Blob),
    shape("Num", Kind::Float),
    shape("Flag", Kind::Boolean),
    shape(
        "Count",
        Kind::Integer {
            min: None,
            max: None,
        },
    ),
    shape("When", Kind::Timestamp),
    shape(
        "Name",
        Kind::String {
            min: None,
            max: None,
            pattern: None,
            enum_values: &["yes", "no"],
        },
    ),
    shape(
        "Nodes",
        Kind::Map {
            key: ShapeId(6),
            value: ShapeId(9),
        },
    ),
    shape(
        "NodeList",
        Kind::List {
            member: ShapeId(9),
            min: None,
            max: None,
        },
    ),
    Shape {
        name: "Node",
        kind: Kind::Structure {
            members: &[
                member("Kind", 6, "The kind."),
                member("Child", 9, "A child."),
                member("Tags", 10, ""),
            ],
            required: &[],
        },
    },
    shape(
        "Strings",
        Kind::List {
            member: ShapeId(6),
            min: None,
            max: None,
        },
    ),
];

const fn shape(name: &'static str, kind: Kind) -> Shape {
    Shape { name, kind }
}

const fn member(name: &'static str, shape: u16, summary: &'static str) -> Member {
    Member {
        name,
        cli_name: name,
        shape: ShapeId(shape),
        summary,
    }
}

/// The service: one operation, `Run`, whose input is `In`.
pub(crate) static SYNTH: Service = Service {
    cli_name: "synth",
    signing_name: "synth",
    api_version: "2020-01-01",
    full_name: "Synth",
    protocol: Protocol::Query,
    target_prefix: None,
    operations: &[Operation {
        name: "Run",
        cli_name: "run",
        input: Some(ShapeId(0)),
        output: None,
        result_wrapper: None,
        paginator: None,
    }],
    shapes: SHAPES,
};
