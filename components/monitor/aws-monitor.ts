/**
 * The leak and budget monitor, reference implementation on AWS: a scheduled Lambda runs the sandbox
 * auditor with this environment's key (read from the secret store at run time with the function's
 * own role), publishes metrics, and CloudWatch alarms notify the owners through an SNS topic.
 *
 * The function's configuration holds the store's locator (an ARN), never the key.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as lambda from "@pulumi/aws/lambda";
import * as sns from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../policies/model";
import { METRIC_NAMESPACE, alarmSpecs } from "./alarms";
import { monitorEnv } from "./handler";

export interface AwsMonitorArgs {
  environment: Environment;
  /** Cost of one sandbox-second at the environment's profile. */
  perSandboxSecondUsd: number;
  /** The function's code: an archive whose `handler` entry runs `components/monitor/lambda`. */
  code: pulumi.asset.Archive;
  /** Handler path inside `code`; default `index.handler`. */
  handler?: string;
  /** How often the monitor runs; default every 5 minutes. */
  schedule?: string;
  /** E2B API base URL for the auditor; default: E2B's public API. */
  apiUrl?: string;
  tags: Record<string, string>;
}

/** The role exists before the secret so the store can grant it read access. */
export function monitorRole(name: string, tags: Record<string, string>, parent: pulumi.Resource): iam.Role {
  const role = new iam.Role(
    `${name}-monitor`,
    {
      description: "E2B leak and budget monitor (reads the E2B key from its secret store at run time)",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
      tags,
    },
    { parent },
  );
  new iam.RolePolicyAttachment(
    `${name}-monitor-logs`,
    { role: role.name, policyArn: iam.ManagedPolicy.AWSLambdaBasicExecutionRole },
    { parent },
  );
  return role;
}

export interface AwsMonitor {
  function: lambda.Function;
  topic: sns.Topic;
  alarms: cloudwatch.MetricAlarm[];
}

export function awsMonitor(
  name: string,
  args: AwsMonitorArgs & {
    role: iam.Role;
    secretStore: "aws-secrets-manager" | "aws-ssm-parameter";
    secretLocator: pulumi.Output<string>;
  },
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[],
): AwsMonitor {
  const env = args.environment;
  const opts = { parent };

  const fn = new lambda.Function(
    `${name}-monitor`,
    {
      description: `E2B leak and budget monitor for ${env.name}`,
      runtime: lambda.Runtime.NodeJS20dX,
      handler: args.handler ?? "index.handler",
      code: args.code,
      role: args.role.arn,
      timeout: 120,
      memorySize: 256,
      environment: {
        variables: {
          [monitorEnv.environment]: env.name,
          [monitorEnv.teamId]: env.teamId,
          [monitorEnv.secretStore]: args.secretStore,
          [monitorEnv.secretLocator]: args.secretLocator,
          [monitorEnv.maxSandboxAgeSeconds]: String(env.leakAlarm.maxSandboxAgeSeconds),
          [monitorEnv.perSandboxSecondUsd]: String(args.perSandboxSecondUsd),
          [monitorEnv.requiredMetadata]: env.requiredMetadata.join(","),
          [monitorEnv.killLeaked]: String(env.budget.hardLimit),
          ...(args.apiUrl ? { [monitorEnv.apiUrl]: args.apiUrl } : {}),
        },
      },
      tags: args.tags,
    },
    // The role must be able to read the key before the first run.
    { parent, dependsOn },
  );

  const rule = new cloudwatch.EventRule(
    `${name}-monitor-schedule`,
    {
      scheduleExpression: args.schedule ?? "rate(5 minutes)",
      description: `Run the E2B monitor for ${env.name}`,
      tags: args.tags,
    },
    opts,
  );
  new lambda.Permission(
    `${name}-monitor-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    },
    opts,
  );
  new cloudwatch.EventTarget(`${name}-monitor-target`, { rule: rule.name, arn: fn.arn }, opts);

  const topic = new sns.Topic(
    `${name}-alerts`,
    { displayName: `E2B ${env.name} alerts`, tags: args.tags },
    opts,
  );
  const owners = [...new Set([env.budget.owner, env.leakAlarm.owner])];
  owners.forEach(
    (email, i) =>
      new sns.TopicSubscription(
        `${name}-alerts-owner-${i}`,
        { topic: topic.arn, protocol: "email", endpoint: email },
        opts,
      ),
  );

  const alarms = alarmSpecs(env).map(
    (spec) =>
      new cloudwatch.MetricAlarm(
        `${name}-${spec.id}`,
        {
          alarmDescription: spec.description,
          namespace: METRIC_NAMESPACE,
          metricName: spec.metric,
          dimensions: { Environment: env.name },
          statistic: "Maximum",
          period: 300,
          evaluationPeriods: 1,
          threshold: spec.threshold,
          comparisonOperator: spec.comparison,
          treatMissingData: spec.treatMissingData,
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          tags: { ...args.tags, owner: spec.owner === "leak" ? env.leakAlarm.owner : env.budget.owner },
        },
        opts,
      ),
  );
  alarms.push(
    new cloudwatch.MetricAlarm(
      `${name}-monitor-errors`,
      {
        alarmDescription: `${env.name}: the E2B monitor function failed (leaks and spend are not being watched)`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: fn.name },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topic.arn],
        tags: args.tags,
      },
      opts,
    ),
  );
  return { function: fn, topic, alarms };
}
