"""python ui.py: serve Ottawa Desk (chat UI at /, API at /api and /v1) on 127.0.0.1:7860."""

from __future__ import annotations

import gradio as gr

from desk.settings import get_settings


def main() -> None:
    settings = get_settings()
    with gr.Blocks(title="Ottawa Desk") as demo:
        gr.Markdown("# Ottawa Desk\nThe chat is on its way; the store is built.")
    demo.launch(server_name=settings.host, server_port=settings.port)


if __name__ == "__main__":
    main()
