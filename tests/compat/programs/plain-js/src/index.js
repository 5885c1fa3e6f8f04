// Plain CommonJS JavaScript: a StackReference to the network stack, an explicit provider, a secret, and
// a secret config value the preview cannot decrypt (the matrix runs without the passphrase).
"use strict";
/* global exports */
const pulumi = require("@pulumi/pulumi");
const aws = require("@pulumi/aws");

const network = new pulumi.StackReference("acme/network/dev");
const west = new aws.Provider("west", { region: "us-west-2" });
const queue = new aws.sqs.Queue("jobs", { visibilityTimeoutSeconds: 60 }, { provider: west });
new aws.ssm.Parameter("queue-url", {
  type: "SecureString",
  value: pulumi.secret(queue.url),
  description: pulumi.interpolate`jobs queue of ${network.getOutput("vpcId")}`,
});
const config = new pulumi.Config();
new aws.sqs.Queue("calls", {
  tags: { upstream: pulumi.interpolate`Bearer ${config.requireSecret("e2bApiKey")}` },
});
exports.queueArn = queue.arn;
// The key exported: the outputs reach the engine without dependencies; the preload keeps the config key.
exports.callsAuth = { header: pulumi.interpolate`Bearer ${config.requireSecret("e2bApiKey")}` };
// A component handing the key on as its output, after it waited for the queue (`dependsOn`).
class Upstream extends pulumi.ComponentResource {
  constructor(name, opts) {
    super("acme:agents:Upstream", name, {}, opts);
    this.registerOutputs({ token: config.requireSecret("e2bApiKey"), queue: queue.arn });
  }
}
new Upstream("upstream", { dependsOn: [queue] });
