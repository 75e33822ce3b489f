// The Kubernetes kinds the manifests in deploy/ may use, as their API schemas describe them
// (kubernetes-models, generated from the Kubernetes OpenAPI). `models` validates a document
// against its kind's schema (types, required fields, enums, formats); `ManifestKinds` gives the
// same kinds as types, whose fields manifests.ts checks every key against, since the generated
// validators accept fields they do not know (kubectl's strict validation refuses them).
// A kind not listed here is refused: add it in both places.
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';

/** `<apiVersion>/<kind>` → the document's type; read by the type checker in manifests.ts */
export interface ManifestKinds {
  'apps/v1/Deployment': IDeployment;
  'apps/v1/StatefulSet': IStatefulSet;
  'autoscaling/v2/HorizontalPodAutoscaler': IHorizontalPodAutoscaler;
  'batch/v1/Job': IJob;
  'networking.k8s.io/v1/NetworkPolicy': INetworkPolicy;
  'policy/v1/PodDisruptionBudget': IPodDisruptionBudget;
  'v1/ConfigMap': IConfigMap;
  'v1/Namespace': INamespace;
  'v1/Secret': ISecret;
  'v1/Service': IService;
}

interface Validating {
  validate(): void;
}

/** `<apiVersion>/<kind>` → a model whose validate() throws on a schema violation */
export const models: { readonly [K in keyof ManifestKinds]: new (data: never) => Validating } = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
};
