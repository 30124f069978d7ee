//! The shape tables of the IAM and STS operations rolecall implements, as static data.
//!
//! `src/generated/*.rs` are written by `scripts/gen-service-model.py` from the AWS service
//! models (member names, types, required members, constraints, result wrappers, paginators;
//! of the documentation, only each member's first sentence), together with [`Op`], the enum of the operations rolecall
//! implements. The client builds its command line, request parameters, response parsing and
//! pagination from these tables; the server dispatches on [`Op`] and validates each request
//! against its operation's input shape, so an operation is described once.
//! `tests/model_sync.rs` checks the tables against the models when they are available.
//! No IO.

mod generated;

pub use generated::{
    cloudtrail::SERVICE as CLOUDTRAIL, iam::SERVICE as IAM, ops::Op, sts::SERVICE as STS,
};

impl Op {
    /// The service it belongs to.
    #[must_use]
    pub fn service(self) -> rolecall_wire::Service {
        self.entry().0
    }

    /// The shape tables of its service.
    #[must_use]
    pub fn tables(self) -> &'static Service {
        match self.service() {
            rolecall_wire::Service::Iam => &IAM,
            rolecall_wire::Service::Sts => &STS,
            rolecall_wire::Service::CloudTrail => &CLOUDTRAIL,
        }
    }

    /// Its entry in its service's table: input and output shapes, result wrapper, paginator.
    #[must_use]
    pub fn operation(self) -> &'static Operation {
        &self.tables().operations[self.entry().1]
    }
}

/// Index of a shape in its service's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShapeId(pub u16);

/// One service: its operations and the shapes they use.
/// How a service's requests and responses are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS Query: form-encoded requests, XML responses (IAM, STS).
    Query,
    /// AWS JSON 1.1: JSON bodies, the operation in `X-Amz-Target` (CloudTrail).
    Json,
}

#[derive(Debug)]
pub struct Service {
    /// The name on the command line (`iam`, `sts`).
    pub cli_name: &'static str,
    /// The SigV4 signing name.
    pub signing_name: &'static str,
    /// The `Version` parameter of every request.
    pub api_version: &'static str,
    /// The service's full name.
    pub full_name: &'static str,
    /// The wire protocol.
    pub protocol: Protocol,
    /// For the JSON protocol: the `X-Amz-Target` prefix (`CloudTrail_20131101`).
    pub target_prefix: Option<&'static str>,
    /// The operations, in the server's order.
    pub operations: &'static [Operation],
    /// Every shape reachable from an operation's input or output.
    pub shapes: &'static [Shape],
}

impl Service {
    /// The shape with this id.
    #[must_use]
    pub fn shape(&self, id: ShapeId) -> &'static Shape {
        &self.shapes[usize::from(id.0)]
    }

    /// The operation named `name` on the command line (`create-user`).
    #[must_use]
    pub fn operation_by_cli_name(&self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|o| o.cli_name == name)
    }

    /// The operation with the API name `name` (`CreateUser`).
    #[must_use]
    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|o| o.name == name)
    }

    /// Every service rolecall speaks.
    #[must_use]
    pub fn all() -> [&'static Service; 3] {
        [&IAM, &STS, &CLOUDTRAIL]
    }

    /// The service named `name` on the command line.
    #[must_use]
    pub fn by_cli_name(name: &str) -> Option<&'static Service> {
        Self::all().into_iter().find(|s| s.cli_name == name)
    }
}

/// One operation.
#[derive(Debug)]
pub struct Operation {
    /// The API name (`CreateUser`).
    pub name: &'static str,
    /// The command-line name (`create-user`), by botocore's naming rule.
    pub cli_name: &'static str,
    /// The input structure.
    pub input: Option<ShapeId>,
    /// The output structure.
    pub output: Option<ShapeId>,
    /// The element wrapping the output in the XML response (`CreateUserResult`).
    pub result_wrapper: Option<&'static str>,
    /// How the operation pages, when it does.
    pub paginator: Option<Paginator>,
}

/// How an operation's results come in pages.
#[derive(Debug)]
pub struct Paginator {
    /// The request parameter carrying the position (`Marker`).
    pub input_token: &'static str,
    /// The response member carrying the next position (`Marker`).
    pub output_token: &'static str,
    /// The request parameter bounding a page (`MaxItems`).
    pub limit_key: Option<&'static str>,
    /// The response member saying more pages follow (`IsTruncated`).
    pub more_results: Option<&'static str>,
    /// The members merged across pages (`Users`).
    pub result_keys: &'static [&'static str],
    /// The members taken from the first page (`Group` of `GetGroup`).
    pub non_aggregate_keys: &'static [&'static str],
}

/// A named shape.
#[derive(Debug)]
pub struct Shape {
    /// The model's shape name (`policyDocumentType`).
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
}

/// A member of a structure.
#[derive(Debug)]
pub struct Member {
    /// The wire name (`UserName`).
    pub name: &'static str,
    /// The command-line option name without dashes (`user-name`).
    pub cli_name: &'static str,
    /// Its shape.
    pub shape: ShapeId,
    /// The first sentence of its documentation, as AWS CLI v2 sums a member up in the
    /// comments of `--generate-cli-skeleton yaml-input` (empty when it has none).
    pub summary: &'static str,
}

/// The kinds of shape the Query protocol carries.
#[derive(Debug)]
pub enum Kind {
    /// Named members; `required` lists the wire names that must be present.
    Structure {
        /// The members, in model order.
        members: &'static [Member],
        /// The required members' wire names.
        required: &'static [&'static str],
    },
    /// A list (`Name.member.N` on the wire).
    List {
        /// The element shape.
        member: ShapeId,
        /// Minimum length.
        min: Option<i64>,
        /// Maximum length.
        max: Option<i64>,
    },
    /// A map (`Name.entry.N.key` / `.value` on the wire).
    Map {
        /// The key shape.
        key: ShapeId,
        /// The value shape.
        value: ShapeId,
    },
    /// A string with its constraints.
    String {
        /// Minimum length.
        min: Option<i64>,
        /// Maximum length.
        max: Option<i64>,
        /// The model's pattern.
        pattern: Option<&'static str>,
        /// Allowed values, when it is an enum.
        enum_values: &'static [&'static str],
    },
    /// An integer or long with its range.
    Integer {
        /// Minimum value.
        min: Option<i64>,
        /// Maximum value.
        max: Option<i64>,
    },
    /// A float or double.
    Float,
    /// A boolean.
    Boolean,
    /// A timestamp (ISO 8601 on the wire).
    Timestamp,
    /// Binary data (base64 on the wire).
    Blob,
}

impl Kind {
    /// Whether the shape is a single value (not a structure, list or map).
    #[must_use]
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            Self::Structure { .. } | Self::List { .. } | Self::Map { .. }
        )
    }

    /// The model's type name (`structure`, `string`, …).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Structure { .. } => "structure",
            Self::List { .. } => "list",
            Self::Map { .. } => "map",
            Self::String { .. } => "string",
            Self::Integer { .. } => "integer",
            Self::Float => "double",
            Self::Boolean => "boolean",
            Self::Timestamp => "timestamp",
            Self::Blob => "blob",
        }
    }
}
