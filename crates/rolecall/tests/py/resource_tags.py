"""Every IAM tagging operation of the resources rolecall serves: instance profiles, customer
managed policies and virtual MFA devices, like users and roles, with tags given on create,
the fifty-tag quota, tag conditions, and the AWS errors for what is missing or not taggable."""

from rc import ADMINS, admin, allow, client, doc, expect_error

A = ADMINS[0]["AccountId"]
iam = admin("iam")

policy_arn = iam.create_policy(PolicyName="tagged", PolicyDocument=doc(allow("iam:GetUser")))["Policy"]["Arn"]
serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")["VirtualMFADevice"]["SerialNumber"]
iam.create_instance_profile(InstanceProfileName="web")

kinds = {
    "instance_profile": ({"InstanceProfileName": "web"}, "TagsPerInstanceProfile"),
    "policy": ({"PolicyArn": policy_arn}, "TagsPerPolicy"),
    "mfa_device": ({"SerialNumber": serial}, "TagsPerMFADevice"),
}
for kind, (target, quota) in kinds.items():
    tag = getattr(iam, f"tag_{kind}")
    untag = getattr(iam, f"untag_{kind}")
    list_tags = getattr(iam, f"list_{kind}_tags")
    assert list_tags(**target)["Tags"] == [], kind
    tag(**target, Tags=[{"Key": "Team", "Value": "core"}, {"Key": "env", "Value": "prod"}])
    tag(**target, Tags=[{"Key": "ENV", "Value": "dev"}])
    got = list_tags(**target)
    assert got["Tags"] == [{"Key": "ENV", "Value": "dev"}, {"Key": "Team", "Value": "core"}], (kind, got)
    assert got["IsTruncated"] is False, got
    first = list_tags(**target, MaxItems=1)
    assert first["IsTruncated"] and len(first["Tags"]) == 1, first
    rest = list_tags(**target, Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "Team", "Value": "core"}], rest
    untag(**target, TagKeys=["team", "no-such-key"])
    assert list_tags(**target)["Tags"] == [{"Key": "ENV", "Value": "dev"}], kind
    expect_error(
        lambda: tag(**target, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]),
        "InvalidInput",
    )
    expect_error(
        lambda: tag(**target, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]),
        "LimitExceeded",
        f"Cannot exceed quota for {quota}: 50",
        409,
    )
    assert list_tags(**target)["Tags"] == [{"Key": "ENV", "Value": "dev"}], kind

# What does not exist is NoSuchEntity, in IAM's words.
expect_error(lambda: iam.tag_instance_profile(InstanceProfileName="none", Tags=[{"Key": "k", "Value": "v"}]), "NoSuchEntity", "Instance Profile none cannot be found.")
expect_error(lambda: iam.list_policy_tags(PolicyArn=f"arn:aws:iam::{A}:policy/none"), "NoSuchEntity", f"Policy arn:aws:iam::{A}:policy/none was not found.")
expect_error(
    lambda: iam.untag_mfa_device(SerialNumber=f"arn:aws:iam::{A}:mfa/none", TagKeys=["k"]),
    "NoSuchEntity",
    f"MFA Device with serial number arn:aws:iam::{A}:mfa/none does not exist.",
)
# AWS managed policies can be read but not tagged.
assert iam.list_policy_tags(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Tags"] == []
expect_error(
    lambda: iam.tag_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess", Tags=[{"Key": "k", "Value": "v"}]),
    "InvalidInput",
)

# Tags given on create are kept, shown by the Get operation and by the create answer.
made = iam.create_instance_profile(InstanceProfileName="tagged-ip", Tags=[{"Key": "a", "Value": "1"}])
assert made["InstanceProfile"]["Tags"] == [{"Key": "a", "Value": "1"}], made
assert iam.get_instance_profile(InstanceProfileName="tagged-ip")["InstanceProfile"]["Tags"] == [{"Key": "a", "Value": "1"}]
assert iam.list_instance_profile_tags(InstanceProfileName="tagged-ip")["Tags"] == [{"Key": "a", "Value": "1"}]
made = iam.create_virtual_mfa_device(VirtualMFADeviceName="tagged-phone", Tags=[{"Key": "b", "Value": "2"}])["VirtualMFADevice"]
assert made["Tags"] == [{"Key": "b", "Value": "2"}], made
assert iam.list_mfa_device_tags(SerialNumber=made["SerialNumber"])["Tags"] == [{"Key": "b", "Value": "2"}]

# Tags go with their resource: a device made again under the same name starts bare.
iam.delete_virtual_mfa_device(SerialNumber=made["SerialNumber"])
again = iam.create_virtual_mfa_device(VirtualMFADeviceName="tagged-phone")["VirtualMFADevice"]
assert iam.list_mfa_device_tags(SerialNumber=again["SerialNumber"])["Tags"] == []

# The decision sees the request's tags and the resource's own.
iam.create_user(UserName="tagger")
iam.put_user_policy(
    UserName="tagger",
    PolicyName="p",
    PolicyDocument=doc(
        allow("iam:TagInstanceProfile", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
        allow("iam:UntagInstanceProfile", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        allow("iam:ListInstanceProfileTags"),
    ),
)
key = iam.create_access_key(UserName="tagger")["AccessKey"]
tagger = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
expect_error(
    lambda: tagger.tag_instance_profile(InstanceProfileName="web", Tags=[{"Key": "team", "Value": "red"}]),
    "AccessDenied",
    f"User: arn:aws:iam::{A}:user/tagger is not authorized to perform: iam:TagInstanceProfile on resource: instance-profile web because no identity-based policy allows the iam:TagInstanceProfile action",
)
expect_error(lambda: tagger.untag_instance_profile(InstanceProfileName="web", TagKeys=["env"]), "AccessDenied")
tagger.tag_instance_profile(InstanceProfileName="web", Tags=[{"Key": "team", "Value": "blue"}])
tagger.untag_instance_profile(InstanceProfileName="web", TagKeys=["env"])
assert tagger.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == [{"Key": "team", "Value": "blue"}]
print("resource tags ok")
