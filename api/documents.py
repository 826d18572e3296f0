"""POST /api/documents (upload and ingest) and DELETE /api/documents/{id}."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import actor, get_desk
from api.problems import ProblemError, problem_response, problem_responses
from api.schemas import IngestFailure, IngestResult, Removed
from api.service import Desk, Upload
from desk.errors import Forbidden

router = APIRouter(prefix="/api/documents", tags=["documents"])

MAX_FILES_PER_REQUEST = 20


@router.post(
    "",
    response_model=IngestResult,
    responses=problem_responses(400, 403, 409, 413, 415, 422, 503),  # 400: a multipart body that can't be parsed
    summary="Upload files (.md, .txt, .html, .pdf, .docx) and ingest them",
    openapi_extra={"responses": {"200": {"links": {"DeleteUpload": {
        "operationId": "delete_api_documents__source_id__delete",
        "parameters": {"source_id": "$response.body#/source_ids/0"}}}}}},
    description="Multipart form with one `file` field or several `files` fields. Each file is checked by extension "
    "and by content, saved under the store's uploads folder and ingested; a file already in the store "
    "(same bytes) adds nothing. If any file is refused, none is added.",
)
async def upload(
    file: UploadFile | None = File(None, description="One file"),
    files: list[UploadFile] | None = File(None, description="Several files"),
    desk: Desk = Depends(get_desk),
) -> IngestResult:
    if not desk.settings.allow_uploads:
        raise Forbidden("uploads are switched off on this server (DESK_ALLOW_UPLOADS=false)")
    received = ([file] if file is not None else []) + list(files or [])
    if not received:
        raise ProblemError(422, "no file: send it as the multipart field `file` (or `files`, repeated, for several)")
    if len(received) > MAX_FILES_PER_REQUEST:
        raise ProblemError(413, f"{len(received)} files in one request; send at most {MAX_FILES_PER_REQUEST}")
    uploads = []
    for item in received:
        # One byte over the cap is enough to refuse it; no need to hold the rest in memory.
        data = await item.read(desk.settings.max_upload_bytes + 1)
        uploads.append(Upload(name=item.filename or "upload", data=data))
    summary = await run_in_threadpool(desk.ingest_uploads, uploads)
    result = summary.to_dict()
    # Report files by name: the server's folders are none of the client's business.
    result["failed"] = [IngestFailure(path=Path(f["path"]).name, reason=f["reason"]) for f in result["failed"]]
    return IngestResult(**result)


@router.delete(
    "/{source_id}", response_model=Removed, responses=problem_responses(403, 404, 422, 503),
    summary="Move an uploaded source to the trash (curated corpus sources are protected)",
    description="The source's passages leave the store at once; its file, text and manifest entry go to the store's "
    "trash, whence `POST /api/trash/{source_id}/restore` brings it back. Sources from the configured corpus folder "
    "are refused with 403: delete the file and re-run ingest to remove one. Every delete is audit-logged.",
    openapi_extra={"responses": {"200": {"links": {"RestoreSource": {
        "operationId": "restore_api_trash__source_id__restore_post",
        "parameters": {"source_id": "$response.body#/source_id"}}}}}},
)
async def delete(source_id: str, request: Request, desk: Desk = Depends(get_desk)) -> Removed:
    left = await run_in_threadpool(desk.remove, source_id, actor(request))
    return Removed(source_id=source_id, chunks_total=left, restore=f"POST /api/trash/{source_id}/restore")


class UploadBodyLimit:
    """Refuses an upload whose declared size already exceeds what could be accepted, before
    Starlette spools the whole body to disk (the per-file cap is checked again after parsing)."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int):
        self.app = app
        self.limit = max_upload_bytes * MAX_FILES_PER_REQUEST + 1024 * 1024  # form overhead

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") == "/api/documents":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.limit:
                response = problem_response(None, 413, f"the upload is {int(length):,} bytes; the limit is {self.limit:,} bytes per request")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
