"""Deploy: cluster, namespace, service, environment, deploy (placeholder until the feature lands)."""

import streamlit as st

st.title("Deploy")
st.info("The unified deploy flow lands with issue 6.")
