"""How-to: the seed's workflows (clone, version, approve, register, train, promote,
monitor) as concrete commands for the records the question is about."""

from __future__ import annotations

from modelyard.chat import commands
from modelyard.chat.draft import Draft
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.response import NextStep
from modelyard.chat.understand import Question
from modelyard.domain.records import Model, RecipeOut

# question word -> workflow
WORKFLOWS = {
    "clone": "clone",
    "copy": "clone",
    "fork": "clone",
    "version": "version",
    "create": "version",
    "approve": "approve",
    "approved": "approve",
    "register": "register",
    "train": "train",
    "training": "train",
    "retrain": "train",
    "eval": "eval",
    "evaluation": "eval",
    "evaluate": "eval",
    "backtest": "backtest",
    "promote": "promote",
    "deploy": "promote",
    "production": "promote",
    "prod": "promote",
    "rollback": "rollback",
    "retire": "retire",
    "retired": "retire",
    "archive": "archive",
    "archived": "archive",
    "deprecate": "archive",
    "monitor": "monitor",
    "monitoring": "monitor",
    "snapshot": "monitor",
    "record": "monitor",
}
ORDER = (
    "clone",
    "version",
    "approve",
    "archive",
    "register",
    "train",
    "eval",
    "backtest",
    "promote",
    "rollback",
    "retire",
    "monitor",
)
RECIPE_FLOWS = {"clone", "version", "approve", "archive", "register"}
LEVEL_RANK = {"baseline": 0, "industry": 1, "client": 2}
PLACEHOLDER_NOTE = "Replace each UPPERCASE placeholder with a real value first."


def workflows_in(q: Question) -> list[str]:
    found = {WORKFLOWS[w] for w in q.words if w in WORKFLOWS}
    if "promote" in found and q.has("rollback"):
        found.discard("promote")
    if "version" in found and len(found) > 1 and not q.has("version", "versions"):
        found.discard("version")  # "create a monitoring snapshot": the create is the snapshot's
    if "version" in found and q.levels and "clone" not in found:
        # "a client version of X": a recipe at another level is a child, made by cloning
        found = (found - {"version"}) | {"clone"}
    return [w for w in ORDER if w in found]


def howto(
    kb: Knowledge, q: Question, recipe_ids: list[str], model_ids: list[str], draft: Draft
) -> None:
    flows = workflows_in(q)
    model = kb.models[model_ids[0]] if model_ids else None
    recipe = (
        kb.recipes[recipe_ids[0]]
        if recipe_ids
        else (kb.recipes.get(model.recipe_id) if model else None)
    )
    if recipe is None and model is None and q.families:
        recipe = _family_root(kb, next(iter(sorted(q.families))))
    whole = (
        model is None
        and q.has("new", "workflow", "whole", "scratch", "end", "howto")
        and (not flows or flows == ["promote"])
    )
    if recipe is not None and model is None and whole:
        _new_model(kb, recipe, draft)
        return
    if not flows:
        flows = ["clone", "version", "approve", "register", "train", "promote", "monitor"]
    if recipe is None and model is None:
        _ask_for_record(kb, flows, draft)
        return
    if recipe is not None:
        draft.cite("recipe", recipe.id)
        draft.focus["recipe_id"] = recipe.id
    if model is not None:
        draft.cite("model", model.id)
        draft.focus["model_id"] = model.id
    for flow in flows:
        _flow(kb, flow, recipe, model, draft, frozenset(q.levels))


def _new_model(kb: Knowledge, recipe: RecipeOut, draft: Draft) -> None:
    """From a recipe to a monitored production model: the first step is exact; the others act
    on records that the first ones create, so they are named, not spelled out."""
    draft.cite("recipe", recipe.id)
    draft.focus["recipe_id"] = recipe.id
    draft.say(f"From {recipe.id} (version {recipe.version}) to a monitored production model:")
    draft.say(
        "1. clone it as your own recipe "
        "(a draft child with no overrides; the command prints the new id)"
    )
    draft.say(
        "2. commit your changes as a new version of the clone: "
        "versions create NEW_ID --patch FILE or --set"
    )
    draft.say("3. approve the clone: recipes update NEW_ID --status approved")
    draft.say("4. register a model from the clone's version: models register")
    draft.say(
        "5. queue a train run for the model, and report its status and metrics: "
        "runs create, runs update"
    )
    draft.say("6. promote the model: models update MODEL_ID --status production")
    draft.say("7. record monitoring snapshots: monitoring create MODEL_ID")
    draft.say(
        "Ask again about the new recipe or model once it exists, "
        "and I will give the exact commands."
    )
    draft.step(commands.clone(recipe.id, f"{recipe.name} copy"))


def _family_root(kb: Knowledge, family: str) -> RecipeOut | None:
    roots = [r for r in kb.recipes.values() if r.model_family == family and r.parent_id is None]
    roots.sort(key=lambda r: (r.status != "approved", r.id))
    return roots[0] if roots else None


def _owner(kb: Knowledge, recipe: RecipeOut) -> str:
    owners = sorted({m.owner for m in kb.models_of(recipe.id)})
    return owners[0] if owners else "your-team"


def _flow(
    kb: Knowledge,
    flow: str,
    recipe: RecipeOut | None,
    model: Model | None,
    draft: Draft,
    levels: frozenset[str] = frozenset(),
) -> None:
    if flow in RECIPE_FLOWS and recipe is None:
        draft.say(f"To {flow}, name a recipe.")
        return
    if flow == "clone" and recipe is not None:
        level = next(iter(sorted(levels))) if len(levels) == 1 else None
        if level is not None and LEVEL_RANK[level] < LEVEL_RANK[recipe.level]:
            draft.say(
                f"A clone of {recipe.id} cannot be {'an' if level == 'industry' else 'a'} "
                f"{level} recipe: a child's level is not "
                f"above its parent's, and {recipe.id} is {recipe.level} "
                "(baseline < industry < client)."
            )
            return
        draft.say(
            f"Clone {recipe.id}"
            + (f" as a {level} recipe" if level else "")
            + f": the clone is a draft child pinned to version {recipe.version}, "
            "with no overrides until you version it."
        )
        draft.step(commands.clone(recipe.id, f"{recipe.name} copy", level))
    elif flow == "version" and recipe is not None:
        breaking = " or ".join(kb.reg.settings.breaking_paths)
        draft.say(
            f"Version {recipe.id} (now {recipe.version}): "
            "commit what changes (a patch file, or --set PATH=VALUE) with a change note; "
            "the number is bumped from what changed"
            + (f" (major for {breaking})." if breaking else ".")
        )
        if recipe.version_id:
            draft.step(commands.show_version(recipe.id, recipe.version_id))
        draft.step(commands.new_version(recipe.id, "Describe the change"))
    elif flow == "approve" and recipe is not None:
        if recipe.status == "approved":
            draft.say(f"{recipe.id} is already approved.")
        else:
            draft.say(
                f"Approve {recipe.id} (now {recipe.status}); "
                "a model can enter production only from an approved recipe."
            )
            draft.step(commands.set_recipe_status(recipe.id, "approved"))
    elif flow == "archive" and recipe is not None:
        if recipe.status == "archived":
            draft.say(f"{recipe.id} is already archived.")
        else:
            built = [m.id for m in kb.models_of(recipe.id) if m.status != "retired"]
            draft.say(
                f"Archive {recipe.id} (now {recipe.status}); no new model can be registered "
                "from an archived recipe"
                + (f", and {', '.join(built)} still use it" if built else "")
                + "."
            )
            draft.step(commands.set_recipe_status(recipe.id, "archived"))
    elif flow == "register" and recipe is not None and recipe.version_id:
        draft.say(f"Register a model from {recipe.id}'s current version {recipe.version_id}.")
        draft.step(
            commands.register(
                recipe.id, recipe.version_id, f"{recipe.name} model", _owner(kb, recipe)
            )
        )
    elif flow in ("train", "eval", "backtest"):
        _run_flow(kb, flow, recipe, model, draft)
    elif flow in ("promote", "rollback", "retire"):
        _status_flow(kb, flow, recipe, model, draft)
    elif flow == "monitor":
        if model is None:
            draft.say("To monitor, name a model.")
            return
        draft.say(
            f"Record what monitoring measured for {model.id}, then look at the latest snapshots."
        )
        draft.step(commands.record_snapshot(model.id))
        draft.step(commands.list_snapshots(model.id))


def _run_flow(
    kb: Knowledge, flow: str, recipe: RecipeOut | None, model: Model | None, draft: Draft
) -> None:
    if model is not None:
        if model.status == "retired":
            draft.say(f"{model.id} is retired; it takes no new runs.")
            return
        draft.say(
            f"Queue a {flow} run of {model.recipe_version_id} for {model.id}; the job reports its "
            "status and metrics back with `runs update`."
        )
        draft.step(commands.create_run(model.recipe_id, model.recipe_version_id, flow, model.id))
    elif recipe is not None and recipe.version_id:
        draft.say(f"Queue a {flow} run of {recipe.version_id} (not tied to a model).")
        draft.step(commands.create_run(recipe.id, recipe.version_id, flow, None))
    else:
        draft.say(f"To queue a {flow} run, name a recipe or a model.")
        return
    done = next(
        (
            r
            for r in kb.runs
            if model is not None and r.model_id == model.id and r.status == "running"
        ),
        None,
    )
    if done is not None:
        draft.say(f"{done.id} is running now; when it ends, report it:")
        draft.step(commands.finish_run(done.id, "succeeded", done.metrics_json or {}))
        draft.cite("run", done.id)


def _status_flow(
    kb: Knowledge, flow: str, recipe: RecipeOut | None, model: Model | None, draft: Draft
) -> None:
    if model is None:
        wanted = {
            "promote": ("staging", "draft"),
            "rollback": ("production",),
            "retire": ("staging", "production", "draft"),
        }[flow]
        candidates = [
            m
            for m in kb.models.values()
            if m.status in wanted and (recipe is None or m.recipe_id == recipe.id)
        ][:3]
        if not candidates:
            draft.say(
                f"To {flow} a model, name it; no model is in {' or '.join(wanted)}"
                + (f" for {recipe.id}" if recipe else "")
                + "."
            )
            return
        draft.say(
            f"To {flow} a model, name it. Candidates: "
            + ", ".join(f"{m.id} ({m.status})" for m in candidates)
            + "."
        )
        for m in candidates:
            draft.cite("model", m.id)
        model = candidates[0]
    target = {"promote": "production", "rollback": "staging", "retire": "retired"}[flow]
    if model.status == target:
        draft.say(f"{model.id} is already {target}.")
        return
    if model.status == "retired":
        draft.say(f"{model.id} is retired, and retired is final.")
        return
    if flow == "rollback" and model.status != "production":
        draft.say(
            f"{model.id} is {model.status}; a rollback moves a production model back to staging."
        )
        return
    owner = kb.recipes.get(model.recipe_id)
    if (
        target == "production"
        and owner is not None
        and owner.status != "approved"
        and kb.reg.settings.require_approved_recipe_for_production
    ):
        draft.say(f"{model.id} needs its recipe {owner.id} approved first (it is {owner.status}).")
        draft.cite("recipe", owner.id)
        draft.step(commands.set_recipe_status(owner.id, "approved"))
    draft.say(f"Move {model.id} from {model.status} to {target}.")
    draft.step(commands.set_model_status(model.id, target))


def _placeholders(flow: str) -> NextStep | None:
    """The command of a workflow with its ids left as UPPERCASE placeholders."""
    step = {
        "clone": lambda: commands.clone("RECIPE_ID", "NEW NAME"),
        "version": lambda: commands.new_version("RECIPE_ID", "CHANGE NOTE"),
        "approve": lambda: commands.set_recipe_status("RECIPE_ID", "approved"),
        "archive": lambda: commands.set_recipe_status("RECIPE_ID", "archived"),
        "register": lambda: commands.register("RECIPE_ID", "VERSION_ID", "MODEL NAME", "OWNER"),
        "train": lambda: commands.create_run("RECIPE_ID", "VERSION_ID", "train", "MODEL_ID"),
        "eval": lambda: commands.create_run("RECIPE_ID", "VERSION_ID", "eval", "MODEL_ID"),
        "backtest": lambda: commands.create_run("RECIPE_ID", "VERSION_ID", "backtest", "MODEL_ID"),
        "promote": lambda: commands.set_model_status("MODEL_ID", "production"),
        "rollback": lambda: commands.set_model_status("MODEL_ID", "staging"),
        "retire": lambda: commands.set_model_status("MODEL_ID", "retired"),
        "monitor": lambda: commands.record_snapshot("MODEL_ID"),
    }.get(flow)
    if step is None:
        return None
    made = step()
    return made.model_copy(update={"note": PLACEHOLDER_NOTE + " " + (made.note or "")})


PRECONDITIONS = {
    "register": "the recipe version must be committed and the recipe not archived",
    "promote": "the model's recipe must be approved (this registry requires it)",
    "train": "the version must be committed; a retired model takes no runs",
    "version": "the manifest must differ from the current version",
}


def _ask_for_record(kb: Knowledge, flows: list[str], draft: Draft) -> None:
    if len(flows) <= 2:
        for flow in flows:
            step = _placeholders(flow)
            if step is None:
                continue
            draft.say(
                f"To {flow}, run the command below with its UPPERCASE placeholders filled in"
                + (f" ({PRECONDITIONS[flow]})" if flow in PRECONDITIONS else "")
                + "."
            )
            draft.step(step)
    roots = sorted((r for r in kb.recipes.values() if r.parent_id is None), key=lambda r: r.id)
    draft.say(
        f"Name the recipe or model to {' / '.join(flows)}. Root recipes to start from: "
        + ", ".join(r.id for r in roots[:8])
        + "."
    )
    for r in roots[:8]:
        draft.cite("recipe", r.id)
    if roots:
        draft.step(commands.list_recipes())
