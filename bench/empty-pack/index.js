const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("empty-pack", {
  policies: [
    {
      name: "noop-resource",
      description: "Does nothing.",
      enforcementLevel: "advisory",
      validateResource: () => {},
    },
    {
      name: "noop-stack",
      description: "Does nothing.",
      enforcementLevel: "advisory",
      validateStack: () => {},
    },
  ],
});
