-- Argo CD health check for platform.docuflow.io/DocuFlowStack.
--
-- Argo CD runs health checks from argocd-cm without the string library (only
-- base, table, package and a restricted os), so this script sticks to `..`,
-- ipairs and comparisons. It is inlined verbatim in argocd-cm-patch.yaml; a
-- test in test/argocd fails when the two copies differ.
local hs = {}

-- conditionOf returns the condition of the given type, or nil.
local function conditionOf(conditions, conditionType)
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- messageOf prefers the condition's own sentence; the fallback keeps the
-- Argo CD UI from showing an empty message.
local function messageOf(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local metadata = obj.metadata or {}
local spec = obj.spec or {}
local status = obj.status
local generation = metadata.generation

-- Until the operator has seen the current spec, every condition describes an
-- older one; the status must not turn green on the strength of it.
local observed = status ~= nil and status.conditions ~= nil and #status.conditions > 0
local current = observed and (generation == nil or (status.observedGeneration ~= nil and status.observedGeneration >= generation))
if not current then
  -- spec.suspend alone decides here, or a stack created or suspended in git
  -- would show Progressing until the operator's next pass. A deletion goes
  -- ahead while suspended, so it shows as one.
  if spec.suspend == true and metadata.deletionTimestamp == nil then
    hs.status = "Suspended"
    hs.message = "spec.suspend is true: no child is created, changed or pruned until it is false again"
  elseif not observed then
    hs.status = "Progressing"
    hs.message = "Waiting for the operator to observe the stack"
  else
    hs.status = "Progressing"
    hs.message = "Waiting for the operator to observe generation " .. generation
  end
  return hs
end

local conditions = status.conditions

local deleting = conditionOf(conditions, "Deleting")
if isTrue(deleting) then
  hs.status = "Progressing"
  hs.message = messageOf(deleting, "Deleting the stack's AWS resources")
  -- Argo CD 3.6 shows deletionMessage for an object with a deletionTimestamp;
  -- without it, only "Pending deletion" and the finalizer's name.
  hs.deletionMessage = hs.message
  return hs
end

local stalled = conditionOf(conditions, "Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = messageOf(stalled, "The stack cannot progress without a change to its spec")
  return hs
end

local suspended = conditionOf(conditions, "Suspended")
if isTrue(suspended) then
  hs.status = "Suspended"
  hs.message = messageOf(suspended, "spec.suspend stops all changes to the stack")
  return hs
end

local rolledBack = conditionOf(conditions, "RolledBack")
if isTrue(rolledBack) then
  hs.status = "Degraded"
  hs.message = messageOf(rolledBack, "The ECS deployment circuit breaker rolled back the last rollout")
  return hs
end

-- A Ready condition written for an older generation says nothing about the
-- current spec, even when the stack-level observedGeneration has caught up.
local ready = conditionOf(conditions, "Ready")
if ready ~= nil and generation ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration ~= generation then
  ready = nil
end

if ready == nil then
  hs.status = "Progressing"
  if generation ~= nil then
    hs.message = "Waiting for the operator to report Ready for generation " .. generation
  else
    hs.message = "Waiting for the operator to report Ready"
  end
  return hs
end

if isTrue(ready) then
  hs.status = "Healthy"
  if status.url ~= nil and status.url ~= "" then
    hs.message = status.url
  else
    hs.message = messageOf(ready, "The stack is ready")
  end
  return hs
end

hs.status = "Progressing"
hs.message = messageOf(ready, messageOf(conditionOf(conditions, "Reconciling"), "Waiting for the stack to become ready"))
return hs
