# The dashboard image (used by deploy/ushadow-ops-compose.yaml). Not built in this repository's CI:
# the development machines have no container engine.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
RUN pip install --no-cache-dir '.[postgres]'
COPY dashboard.py serve.py ./
COPY pages ./pages
COPY assets ./assets
COPY .streamlit ./.streamlit
COPY compose ./compose
USER 65534:65534
EXPOSE 8501
CMD ["streamlit", "run", "serve.py", "--server.address=0.0.0.0", "--server.port=8501"]
