// LTI Dynamic Registration §3.6: tell the platform the registration is done.
(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
