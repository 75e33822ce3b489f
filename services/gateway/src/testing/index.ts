export { BOUNDARY, invalidUtf8, multipartBody, multipartHeaders, rawHttp, splitRandomly, unstorableString } from '../hostile.fixture.ts';
