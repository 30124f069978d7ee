//! The services rolecall serves, with their API versions and XML namespaces.

/// IAM, STS or CloudTrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// IAM, API version 2010-05-08.
    Iam,
    /// STS, API version 2011-06-15.
    Sts,
    /// CloudTrail (LookupEvents), API version 2013-11-01, over AWS JSON 1.1.
    CloudTrail,
}

impl Service {
    /// The XML namespace of responses.
    #[must_use]
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Self::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            Self::CloudTrail => "http://cloudtrail.amazonaws.com/doc/2013-11-01/",
        }
    }

    /// The `Version` parameter.
    #[must_use]
    pub fn api_version(self) -> &'static str {
        match self {
            Self::Iam => "2010-05-08",
            Self::Sts => "2011-06-15",
            Self::CloudTrail => "2013-11-01",
        }
    }

    /// The SigV4 signing name (`iam`, `sts`).
    #[must_use]
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Iam => "iam",
            Self::Sts => "sts",
            Self::CloudTrail => "cloudtrail",
        }
    }

    /// The service of a SigV4 signing name.
    #[must_use]
    pub fn from_signing_name(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Self::Iam),
            "sts" => Some(Self::Sts),
            "cloudtrail" => Some(Self::CloudTrail),
            _ => None,
        }
    }

    /// The policy action prefix (`iam:`, `sts:`).
    #[must_use]
    pub fn action_prefix(self) -> &'static str {
        self.signing_name()
    }
}
