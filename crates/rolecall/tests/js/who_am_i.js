// GetCallerIdentity through the AWS SDK for JavaScript v3, with its default credential chain
// (whatever the environment points it at: keys, the container endpoint, IMDS).
//
//   node who_am_i.js [--refresh] [--container-only]
//
// --container-only: the credentials from the SDK's container provider alone (the copy the
// default chain uses), so that its own error is the one reported.
//
// Prints one JSON line: the ARN of each call, the access key id each call was signed with,
// and whether keys were in the environment. With --refresh, more calls follow as if the clock
// had moved to four minutes before the first credentials expire: inside the SDK's five-minute
// window, where it keeps signing with them while it fetches new ones in the background, and
// signs with the new ones once they are had (the path a long-running program takes). The
// calls stop at the first one signed with other keys, or after twenty. On failure, prints the
// error to stderr and exits 1.
"use strict";

const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

async function main() {
  const refresh = process.argv.includes("--refresh");
  const config = {};
  if (process.argv.includes("--container-only")) {
    const chain = require.resolve("@aws-sdk/credential-provider-node");
    const http = require.resolve("@aws-sdk/credential-provider-http", { paths: [chain] });
    config.credentials = require(http).fromHttp({});
  }
  const client = new STSClient(config);
  const signedWith = [];
  // The deserialize step sees the request as sent: signed.
  client.middlewareStack.add(
    (next) => async (args) => {
      const auth = args.request.headers.authorization || "";
      const key = /Credential=([^/]+)\//.exec(auth);
      signedWith.push(key ? key[1] : null);
      return next(args);
    },
    { step: "deserialize", name: "recordSigningKey" },
  );
  const arns = [];
  arns.push((await client.send(new GetCallerIdentityCommand({}))).Arn);
  if (refresh) {
    const first = await client.config.credentials();
    if (!first.expiration) throw new Error("the credentials carry no expiration");
    const skip = first.expiration.getTime() - Date.now() - 240_000;
    const realNow = Date.now;
    Date.now = () => realNow() + skip;
    for (let i = 0; i < 20 && signedWith[signedWith.length - 1] === signedWith[0]; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      arns.push((await client.send(new GetCallerIdentityCommand({}))).Arn);
    }
  }
  console.log(
    JSON.stringify({
      arns,
      signedWith,
      keysInEnvironment: "AWS_ACCESS_KEY_ID" in process.env,
    }),
  );
}

main().catch((e) => {
  console.error(`${e.name}: ${e.message}`);
  process.exit(1);
});
