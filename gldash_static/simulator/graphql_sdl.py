"""The slice of GitLab's GraphQL schema the simulator serves, in GitLab's names and types.

Every type, field and argument here exists in GitLab's published schema with the same type
and nullability (tests/simulator/test_graphql_schema.py compares them with the excerpt in
tests/fixtures). Fields GitLab has and a dashboard never asks for are left out. The excerpt
names DeploymentsOrderByInput without its definition (a stub) and leaves SortDirectionEnum
out; both are defined here as GitLab defines them (app/graphql/types/
deployments_order_by_input_type.rb, sort_direction_enum.rb).
"""

from __future__ import annotations

SDL = """
scalar Time
scalar Duration
scalar JobID

enum PipelineStatusEnum {
  CREATED WAITING_FOR_RESOURCE PREPARING WAITING_FOR_CALLBACK PENDING RUNNING
  FAILED SUCCESS CANCELED CANCELING SKIPPED MANUAL SCHEDULED
}

enum CiJobStatus {
  CANCELED CANCELING CREATED FAILED MANUAL PENDING PREPARING RUNNING SCHEDULED SKIPPED
  SUCCESS WAITING_FOR_CALLBACK WAITING_FOR_RESOURCE
}

enum CiJobKind { BRIDGE BUILD }

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type UserCore {
  name: String!
  username: String!
}

type DetailedStatus {
  id: String!
  label: String
  name: String
  tooltip: String
}

type CiStage {
  id: ID!
  name: String
  status: String
}

type CiJob {
  id: JobID
  name: String
  status: CiJobStatus
  allowFailure: Boolean!
  createdAt: Time!
  startedAt: Time
  finishedAt: Time
  duration: Int
  failureMessage: String
  queuedDuration: Duration
  retried: Boolean
  webPath: String
  stage: CiStage
  detailedStatus: DetailedStatus
}

type CiJobEdge {
  cursor: String!
  node: CiJob
}

type CiJobConnection {
  count(limit: Int): Int!
  edges: [CiJobEdge]
  nodes: [CiJob]
  pageInfo: PageInfo!
}

type Pipeline {
  id: ID!
  iid: String!
  status: PipelineStatusEnum!
  ref: String
  sha: String
  source: String
  createdAt: Time!
  updatedAt: Time!
  startedAt: Time
  finishedAt: Time
  duration: Int
  queuedDuration: Duration
  coverage: Float
  path: String
  user: UserCore
  jobs(
    jobKind: CiJobKind, retried: Boolean, statuses: [CiJobStatus!],
    after: String, first: Int
  ): CiJobConnection
}

type PipelineEdge {
  cursor: String!
  node: Pipeline
}

type PipelineConnection {
  count(limit: Int): Int!
  edges: [PipelineEdge]
  nodes: [Pipeline]
  pageInfo: PageInfo!
}

enum DeploymentStatus { BLOCKED CANCELED CREATED FAILED RUNNING SKIPPED SUCCESS }

enum DeploymentTier { DEVELOPMENT OTHER PRODUCTION STAGING TESTING }

enum SortDirectionEnum { ASC DESC }

input DeploymentsOrderByInput {
  createdAt: SortDirectionEnum
  finishedAt: SortDirectionEnum
}

type Deployment {
  id: ID
  iid: String
  ref: String
  sha: String
  tag: Boolean
  status: DeploymentStatus
  createdAt: Time
  updatedAt: Time
  finishedAt: Time
  triggerer: UserCore
  job: CiJob
}

type DeploymentEdge {
  cursor: String!
  node: Deployment
}

type DeploymentConnection {
  edges: [DeploymentEdge]
  nodes: [Deployment]
  pageInfo: PageInfo!
}

type Environment {
  id: ID!
  name: String!
  slug: String
  state: String!
  tier: DeploymentTier
  externalUrl: String
  environmentType: String
  path: String!
  description: String
  createdAt: Time
  updatedAt: Time
  autoStopAt: Time
  lastDeployment(status: DeploymentStatus!): Deployment
  deployments(
    orderBy: DeploymentsOrderByInput, statuses: [DeploymentStatus!],
    after: String, first: Int
  ): DeploymentConnection
}

type EnvironmentEdge {
  cursor: String!
  node: Environment
}

type EnvironmentConnection {
  edges: [EnvironmentEdge]
  nodes: [Environment]
  pageInfo: PageInfo!
}

type Project {
  id: ID!
  name: String!
  nameWithNamespace: String!
  path: String!
  fullPath: ID!
  webUrl: String
  visibility: String
  lastActivityAt: Time
  pipelines(
    status: PipelineStatusEnum, ref: String, sha: String, source: String,
    updatedAfter: Time, updatedBefore: Time,
    after: String, first: Int
  ): PipelineConnection
  environments(
    name: String, search: String, states: [String!], type: String,
    after: String, first: Int
  ): EnvironmentConnection
  environment(name: String, search: String, states: [String!], type: String): Environment
}

type ProjectEdge {
  cursor: String!
  node: Project
}

type ProjectConnection {
  count(limit: Int): Int!
  edges: [ProjectEdge]
  nodes: [Project]
  pageInfo: PageInfo!
}

type QueryComplexity {
  limit: Int
  score: Int
}

type Query {
  project(fullPath: ID!): Project
  projects(ids: [ID!], fullPaths: [String!], after: String, first: Int): ProjectConnection
  queryComplexity: QueryComplexity
}
"""
