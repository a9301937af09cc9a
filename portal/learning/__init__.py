"""The staff side of enrolment: My learning, the private iCal feed and its token."""
