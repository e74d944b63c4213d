"""Scan: find the infrastructure running in a cluster (placeholder until the scan feature lands)."""

import streamlit as st

st.title("Scan")
st.info("Scanning a cluster for infrastructure, scan history and shareable links land with issue 4.")
