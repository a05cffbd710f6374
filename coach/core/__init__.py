"""Pure logic: geometry, filters, rules, judgment, session state, reports. numpy and scipy only."""
