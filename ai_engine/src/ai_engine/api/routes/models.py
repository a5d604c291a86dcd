"""Models: GET /api/v1/models, GET /api/v1/models/{id}, POST /api/v1/models/{id}/promote,
POST /api/v1/models/train, GET /api/v1/models/jobs/{job_id}.

Thin: parse, call ``ModelsService`` (in a thread), serialise. Status codes: 404 unknown model
or a bad id; 409 a model whose artifact fails its integrity check (refused; the previous model
keeps serving); 202 a training job queued (poll ``/api/v1/models/jobs/{job_id}``); 503 no Redis
(or the broker refused the job). The training spec is checked by its schema (422).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from ai_engine.api.backtests_service import UnavailableError
from ai_engine.api.models_schemas import (
    JobAccepted,
    JobOut,
    ModelOut,
    ModelsOut,
    ModelSummaryOut,
    ServingOut,
    TrainIn,
)
from ai_engine.api.models_service import ModelsService
from ai_engine.api.signals_schemas import ErrorOut
from ai_engine.ml.registry import CorruptArtifactError

router = APIRouter(prefix="/api/v1/models", tags=["models"])

_ID = Annotated[str, Path(max_length=200, description="A model id from GET /api/v1/models.")]
_JOB = Annotated[str, Path(max_length=200, description="The id POST /train returned.")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such model."}
}
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorOut, "description": "No Redis (broker) configured or reachable."}
}


def _service(request: Request) -> ModelsService:
    service: ModelsService = request.app.state.models
    return service


@router.get("", response_model=ModelsOut)
async def list_models(request: Request) -> ModelsOut:
    """Every registered model (newest first) with its OOS metrics, whether it passed the
    promotion rule, whether it is promoted and served; and the serving status."""
    service = _service(request)
    models = await run_in_threadpool(service.list)
    return ModelsOut(
        serving=ServingOut(**service.server.status.to_dict()),
        models=[ModelSummaryOut(**m) for m in models],
    )


@router.get("/jobs/{job_id}", response_model=JobOut, responses=_UNAVAILABLE)
async def job(request: Request, job_id: _JOB) -> JobOut:
    """Status of a training job (Celery's result): queued, running, done (with the model id
    and metrics) or failed (with the error). An unknown id reads as queued."""
    try:
        out = await run_in_threadpool(_service(request).job, job_id)
    except UnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    return JobOut(**out)


@router.get("/{model_id}", response_model=ModelOut, responses=_NOT_FOUND)
async def get_model(request: Request, model_id: _ID) -> ModelOut:
    """One model: its summary, the full meta.json and the model card (Markdown)."""
    try:
        out = await run_in_threadpool(_service(request).get, model_id)
    except (FileNotFoundError, ValueError) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return ModelOut(**out)


@router.post(
    "/{model_id}/promote",
    response_model=ServingOut,
    responses={
        **_NOT_FOUND,
        409: {"model": ErrorOut, "description": "The artifact fails its integrity check."},
    },
)
async def promote(request: Request, model_id: _ID) -> ServingOut:
    """Serve this model (verified first) and point PROMOTED at it. A corrupt artifact is
    refused with 409 and the model serving before keeps serving."""
    try:
        out = await run_in_threadpool(_service(request).promote, model_id)
    except CorruptArtifactError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except (FileNotFoundError, ValueError) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return ServingOut(**out.to_dict())


@router.post(
    "/train",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=_UNAVAILABLE,
)
async def train(request: Request, body: TrainIn, response: Response) -> JobAccepted:
    """Queue a training job on the research workers; 202 with the Celery job id."""
    job = body.model_dump(mode="json")
    if body.start is None and body.end is None and body.days is None:
        job["days"] = 90.0
    try:
        job_id = await run_in_threadpool(_service(request).submit_train, job)
    except UnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    link = f"/api/v1/models/jobs/{job_id}"
    response.headers["Location"] = link
    return JobAccepted(id=job_id, status="queued", links={"self": link})
