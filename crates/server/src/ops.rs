//! Every operation the server answers: the enum generated from the AWS models into
//! `rolecall-service-model` (with its name, service and input shape), dispatched by `Action`.

pub use rolecall_service_model::Op;
