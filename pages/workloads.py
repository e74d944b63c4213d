"""Workloads: status, logs, restart, scale, undeploy (placeholder until the feature lands)."""

import streamlit as st

st.title("Workloads")
st.info("Day-2 operations on deployed services (status, logs, restart, scale, undeploy) land with issue 6.")
