"""Reviews in and out: intake → inbound_events → router → reviews + deliveries → sender."""
